// Family members join a household by invite: an installer, staff or an existing member creates a short code
// (also sent as a link, /join/<code>); a signed-in family account accepts it, or a new worker registers with it.
import { z } from "zod";
import { isoTime } from "./device-messages.ts";
import { loginReply } from "./http.ts";

/** 8 letters or digits from the readable alphabet, typed with or without the dash: K7P2-9QXM. */
export const inviteCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[0-9A-Z]{4}-?[0-9A-Z]{4}$/, "an invite code is 8 letters or digits, e.g. K7P2-9QXM")
  .transform((code) => code.replace("-", ""));

export const createInviteBody = z.object({
  maxUses: z.number().int().min(1).max(20).default(1).describe("how many people may join with this code"),
  expiresInH: z
    .number()
    .int()
    .min(1)
    .max(24 * 14)
    .default(72),
  relation: z.string().trim().max(20).optional().describe("suggested relation to the elder, e.g. 女儿"),
});
export const inviteView = z.object({
  id: z.string(),
  householdId: z.string(),
  relation: z.string().nullable(),
  maxUses: z.number().int(),
  uses: z.number().int(),
  createdBy: z.string(),
  createdAt: isoTime,
  expiresAt: isoTime,
  revokedAt: isoTime.nullable(),
});
/** Only the creation reply carries the code: the server keeps its hash. */
export const createdInviteView = inviteView.extend({
  code: z.string().describe("K7P2-9QXM"),
  link: z.string().describe("path of the join page, /join/<code>"),
});
export const inviteParams = z.object({ householdId: z.string().min(1).max(64), inviteId: z.string().min(1).max(64) });
export const inviteCodeParams = z.object({ code: inviteCode });

/** What a code holder may learn before joining: whose home it is. */
export const invitePreview = z.object({
  householdId: z.string(),
  village: z.string(),
  elderName: z.string(),
  relation: z.string().nullable(),
  expiresAt: isoTime,
});

export const acceptInviteBody = z.object({ code: inviteCode, relation: z.string().trim().max(20).optional() });
export const acceptInviteReply = z.object({
  householdId: z.string(),
  village: z.string(),
  elderName: z.string(),
  alreadyMember: z.boolean(),
});

export const registerBody = z.object({
  username: z
    .string()
    .trim()
    .min(3)
    .max(32)
    .regex(/^[\p{L}\p{N}_.-]+$/u, "letters, digits, _ . - only"),
  password: z.string().min(8, "at least 8 characters").max(200),
  displayName: z.string().trim().min(1).max(40),
  inviteCode,
  relation: z.string().trim().max(20).optional(),
});
export const registerReply = loginReply.extend({ householdId: z.string() });

export type InviteView = z.infer<typeof inviteView>;
export type CreatedInviteView = z.infer<typeof createdInviteView>;
export type InvitePreview = z.infer<typeof invitePreview>;
export type AcceptInviteReply = z.infer<typeof acceptInviteReply>;
export type RegisterReply = z.infer<typeof registerReply>;
