// Mobile numbers and sign-in by SMS code (手机号 + 验证码). Mainland China mobile numbers only: 11 digits, the
// operators' mobile prefixes (MIIT number plan), kept in E.164 (+8613812345678). Written as people type them:
// spaces, dashes, a leading +86 or 0086.
import { z } from "zod";
import { inviteCode } from "./invites.ts";
import { callWindowHours } from "./calls.ts";
import { loginReply } from "./http.ts";

// The number rules themselves live without zod, so the web app's first screen can use them without loading zod.
export { maskPhone, toE164 } from "./phone-number.ts";
import { toE164 } from "./phone-number.ts";

export const mobileNumber = z
  .string()
  .trim()
  .max(24)
  .transform((typed, ctx) => {
    const e164 = toE164(typed);
    if (e164) return e164;
    ctx.addIssue({
      code: "custom",
      message: "a mainland China mobile number: 11 digits starting with 1, e.g. 13812345678",
    });
    return z.NEVER;
  });

export const smsCode = z
  .string()
  .trim()
  .regex(/^\d{6}$/, "the code is 6 digits");

/**
 * Why a code is asked for: signing in, joining by invite (a new account), adding a number to one's account, or
 * setting a new password for the account whose verified number it is (忘记密码).
 */
export const codePurpose = z.enum(["sign-in", "sign-up", "verify", "reset-password"]);
export type CodePurpose = z.infer<typeof codePurpose>;

export const requestCodeBody = z.object({ phone: mobileNumber, purpose: codePurpose });
/** The same answer whether or not the number has an account: numbers cannot be enumerated. */
export const requestCodeReply = z.object({
  sent: z.literal(true),
  resendAfterS: z.number().int(),
  expiresInS: z.number().int(),
});

export const phoneSignInBody = z.object({ phone: mobileNumber, code: smsCode });
export const phoneSignUpBody = z.object({
  phone: mobileNumber,
  code: smsCode,
  inviteCode,
  displayName: z.string().trim().min(1).max(40),
  relation: z.string().trim().max(20).optional(),
});
export const phoneSignUpReply = loginReply.extend({ householdId: z.string() });
export const verifyPhoneBody = z.object({ phone: mobileNumber, code: smsCode });
export const resetPasswordByCodeBody = z.object({
  phone: mobileNumber,
  code: smsCode,
  newPassword: z.string().min(1).max(200),
});
export const myPhoneView = z.object({ phone: z.string().nullable(), verifiedAt: z.string().nullable() });

/** Which channels can reach people outside the open app on this server (the settings screen says it). */
export const channelsView = z.object({
  push: z.boolean(),
  sms: z.enum(["aliyun", "tencent"]).nullable(),
  voice: z.enum(["aliyun", "tencent"]).nullable(),
});
export type ChannelsView = z.infer<typeof channelsView>;

/** One line of the message log (staff): numbers masked. */
export const messageLogView = z.object({
  id: z.string(),
  createdAt: z.string(),
  channel: z.enum(["sms", "voice"]),
  provider: z.string(),
  template: z.string(),
  phone: z.string().describe("masked, 138****1234"),
  userId: z.string().nullable(),
  householdId: z.string().nullable(),
  callId: z.string().nullable(),
  state: z.string(),
  providerMessageId: z.string().nullable(),
  error: z.string().nullable(),
  attempts: z.number().int(),
});
export const messageLogQuery = z.object({
  householdId: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A member's choice about SMS and voice calls: whether at all, and hours when they are held back. */
export const messagePreferences = z.object({
  sms: z.boolean().describe("SMS and voice calls reach me (the elder's call, camera notices)"),
  quietHours: callWindowHours.nullable().describe("no SMS or voice call between these times (household time zone)"),
});
export type MessagePreferences = z.infer<typeof messagePreferences>;

/** How the elder's call tried to reach the family: each SMS and voice call, to whom, and who answered. */
export const callReachView = z.object({
  answeredByName: z.string().nullable(),
  channels: channelsView,
  items: z.array(
    z.object({
      channel: z.enum(["sms", "voice"]),
      name: z.string().describe("the member's display name"),
      state: z.string(),
      at: z.string(),
    }),
  ),
});
export type CallReachView = z.infer<typeof callReachView>;
