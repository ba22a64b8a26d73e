// Account management: changing one's password, staff creating installer and staff accounts, disabling an
// account, assigning installers to villages or households, removing a household member.
import { z } from "zod";
import { isoTime } from "./device-messages.ts";
import { role } from "./http.ts";

const password = z.string().min(8, "at least 8 characters").max(200);
/** Staff and installers reach into every home they work on: their passwords are longer (also the admin command's). */
export const staffPassword = z.string().min(12, "the password needs at least 12 characters").max(200);
export const changePasswordBody = z.object({ currentPassword: z.string().min(1).max(200), newPassword: password });

export const createAccountBody = z.object({
  username: z
    .string()
    .trim()
    .min(3)
    .max(64)
    .regex(/^[\p{L}\p{N}._-]+$/u, "letters, digits, dot, dash or underscore"),
  displayName: z.string().trim().min(1).max(64),
  password: staffPassword,
  /** Family accounts are made by invite (POST /auth/register), not by staff. */
  role: z.enum(["installer", "staff"]),
});

export const accountView = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role,
  createdAt: isoTime,
  disabledAt: isoTime.nullable(),
  phone: z.string().nullable().optional().describe("verified mobile number, masked for staff: 138****1234"),
});
export const accountListQuery = z.object({ role: role.optional() });

/** A signed-in phone or browser: the account screen lists them, and each can be signed out from there. */
export const sessionView = z.object({
  id: z.string(),
  client: z.string().nullable().describe("the browser's User-Agent at sign-in (the app names the phone from it)"),
  createdAt: isoTime,
  lastUsedAt: isoTime.nullable().describe("to the hour"),
  expiresAt: isoTime,
  current: z.boolean().describe("the session asking"),
});
export const sessionListReply = z.object({ items: z.array(sessionView) });
export const sessionIdParams = z.object({ sessionId: z.string().min(1).max(64) });
export const endedSessionsReply = z.object({ ended: z.number().int() });
/** Staff set a new password for someone who cannot get in (their sessions end). */
export const setPasswordBody = z.object({ newPassword: z.string().min(1).max(200) });
export const userIdParams = z.object({ userId: z.string().min(1).max(64) });

/** Staff assign an installer either a whole village or one household. */
export const assignmentBody = z.union([
  z.object({ village: z.string().trim().min(1).max(80) }).strict(),
  z.object({ householdId: z.string().min(1).max(64) }).strict(),
]);
export const assignmentView = z.object({
  id: z.string(),
  installerId: z.string(),
  village: z.string().nullable(),
  householdId: z.string().nullable(),
  /** "village · elder" of an assigned household: what screens show instead of its id. */
  householdName: z.string().nullable(),
  createdAt: isoTime,
});
export const assignmentParams = z.object({
  userId: z.string().min(1).max(64),
  assignmentId: z.string().min(1).max(64),
});
export const householdMemberParams = z.object({
  householdId: z.string().min(1).max(64),
  userId: z.string().min(1).max(64),
});

/** Close codes and reasons of the live socket: the app shows the reason and signs out. */
export const liveCloseReasons = [
  "signed-out",
  "session-expired",
  "session-revoked",
  "account-disabled",
  "password-changed",
  "unauthorized",
] as const;
export type LiveCloseReason = (typeof liveCloseReasons)[number];
export const LIVE_CLOSE_SIGNED_OUT = 4401;
