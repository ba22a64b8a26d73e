// Calls between the elder's camera and the family, and the Web Push subscriptions that ring phones.
import { z } from "zod";
import { isoTime } from "./device-messages.ts";
import { viewGrantReply } from "./live-view.ts";

export const callDirection = z.enum(["from-home", "to-home"]);
export const callState = z.enum(["ringing", "answered", "ended", "missed", "declined", "cancelled"]);

export const callView = z.object({
  id: z.string(),
  householdId: z.string(),
  deviceId: z.string(),
  label: z.string().nullable(),
  elderName: z.string(),
  direction: callDirection,
  state: callState,
  callerName: z.string().nullable(),
  startedAt: isoTime,
  answeredAt: isoTime.nullable(),
  answeredByName: z.string().nullable(),
  /** A call home that the household's auto-answer picked up (nobody pressed the camera's button). */
  autoAnswered: z.boolean().optional(),
  endedAt: isoTime.nullable(),
});
export type CallView = z.infer<typeof callView>;

export const callIdParams = z.object({ callId: z.string().min(1).max(64) });
export const callListQuery = z.object({
  state: callState.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const callListReply = z.object({ items: z.array(callView) });

/** Answering the elder's call: the call, and a viewer grant to open live view with talk held open. */
export const answerCallReply = z.object({
  call: callView,
  grant: viewGrantReply
    .nullable()
    .describe("null when live view cannot start (relay off, camera offline, privacy mode)"),
});

/** GET /push/key: the VAPID public key a browser subscribes with (applicationServerKey). */
export const pushKeyReply = z.object({ publicKey: z.string().describe("uncompressed P-256 point, base64url") });

const base64url = z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, "expected base64url");
/** PushSubscription.toJSON() from the browser, and a name for the phone. */
export const pushSubscriptionBody = z.object({
  endpoint: z.url({ protocol: /^https$/ }).max(1000),
  keys: z.object({ p256dh: base64url.min(80).max(100), auth: base64url.min(16).max(32) }),
  deviceName: z.string().max(80).optional(),
});
export const pushSubscriptionReply = z.object({ id: z.string() });
export const pushUnsubscribeBody = z.object({ endpoint: z.url().max(1000) });

/** What a push message carries (encrypted, RFC 8291); the service worker shows it. */
export const pushPayload = z.object({
  kind: z.enum(["call", "call-missed", "notice", "wellbeing"]),
  title: z.string(),
  body: z.string(),
  url: z.string(),
  tag: z.string(),
  callId: z.string().optional(),
});
export type PushPayload = z.infer<typeof pushPayload>;

/** Household call settings: auto-answer of calls home after N seconds (agreed by the family), privacy after a decline. */
export const callSettingsView = z.object({
  autoAnswerAfterS: z.number().int().nullable(),
  autoAnswerSetBy: z.string().nullable(),
  autoAnswerSetAt: isoTime.nullable(),
  declinePrivacyMin: z.number().int(),
});
export const callSettingsBody = z.object({
  autoAnswerAfterS: z.number().int().min(5).max(120).nullable().describe("null: only the elder's press answers"),
  declinePrivacyMin: z.number().int().min(5).max(720),
});

/** "HH:MM", 00:00–23:59. */
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM (00:00–23:59)");
const ianaTimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, "not an IANA time zone (e.g. Asia/Shanghai)");

/** Call window: between start and end (the household's local time; an end before the start runs past midnight). */
export const callWindowHours = z
  .object({ start: clockTime, end: clockTime })
  .refine((w) => w.start !== w.end, "start and end must differ");
export const callWindowView = z.object({
  window: callWindowHours.nullable().describe("null: looking in works at any hour"),
  timeZone: z.string(),
  setBy: z.string().nullable(),
  setAt: isoTime.nullable(),
  activeNow: z.boolean().describe("true when looking in needs a call right now"),
});
export type CallWindowView = z.infer<typeof callWindowView>;
export const callWindowBody = z.object({
  window: callWindowHours.nullable(),
  timeZone: ianaTimeZone.default("Asia/Shanghai"),
});

export const noticeKind = z.enum(["camera-offline", "camera-back"]);
export type NoticeKind = z.infer<typeof noticeKind>;
/** A notice for the household about one of its cameras, in plain Chinese with what to do. */
export const noticeView = z.object({
  id: z.string(),
  householdId: z.string(),
  deviceId: z.string(),
  kind: noticeKind,
  title: z.string(),
  body: z.string(),
  createdAt: isoTime,
});
export type NoticeView = z.infer<typeof noticeView>;
export const noticeListQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });
export const noticeListReply = z.object({ items: z.array(noticeView) });

/** Which notices reach this member (push and the open app); the list shows the household's notices either way. */
export const noticePreferences = z.object({ cameraOffline: z.boolean(), cameraBack: z.boolean() });
