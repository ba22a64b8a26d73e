// Wellbeing check-ins for elders who live alone: cameras report how much movement they saw each minute (a
// number computed on the camera; no image leaves the home for this), the gateway learns each household's
// usual day and asks the family when a day is unusually quiet.
import { z } from "zod";
import { isoTime } from "./device-messages.ts";

/** A camera reports at most this many minutes at once (it keeps up to an hour while it cannot reach the broker). */
export const ACTIVITY_REPORT_MAX_MINUTES = 60;

/**
 * devices/{id}/activity: movement seen in consecutive whole minutes from `from`, each 0–100 (the share of the
 * minute's frames in which the camera's motion detector saw movement). `privacy`: the camera was in privacy
 * mode for these minutes (a camera splits its report where privacy mode changes). The gateway keeps minutes
 * taken in privacy mode only when the household has consented to activity checks in privacy mode.
 */
export const activityReportMessage = z.object({
  from: isoTime.refine((text) => new Date(text).getTime() % 60_000 === 0, "from must be a whole minute"),
  levels: z.array(z.number().int().min(0).max(100)).min(1).max(ACTIVITY_REPORT_MAX_MINUTES),
  privacy: z.boolean(),
});
export type ActivityReportMessage = z.infer<typeof activityReportMessage>;

export const wellbeingCheckKind = z.enum(["day-not-started", "quiet-daytime"]);
export type WellbeingCheckKind = z.infer<typeof wellbeingCheckKind>;
/** open: the family is asked; escalated: the village contact is asked too; closed: answered or movement seen. */
export const wellbeingCheckState = z.enum(["open", "escalated", "closed"]);
export type WellbeingCheckState = z.infer<typeof wellbeingCheckState>;
/** The one-press answers: "我看过了，一切都好" and "联系不上". */
export const wellbeingAnswer = z.enum(["all-well", "cannot-reach"]);
export type WellbeingAnswer = z.infer<typeof wellbeingAnswer>;

export const wellbeingAckView = z.object({
  byName: z.string(),
  role: z.enum(["family", "village-contact", "staff"]),
  answer: wellbeingAnswer,
  at: isoTime,
});
export type WellbeingAckView = z.infer<typeof wellbeingAckView>;

export const wellbeingCheckView = z.object({
  id: z.string(),
  householdId: z.string(),
  elderName: z.string(),
  village: z.string(),
  /** The household's phone, for whoever goes to look. */
  contactPhone: z.string(),
  kind: wellbeingCheckKind,
  state: wellbeingCheckState,
  /** When the day should have started (usual start + margin), or when the quiet stretch reached its limit. */
  dueAt: isoTime,
  raisedAt: isoTime,
  /** Last movement seen before the check (null: none today). */
  lastActivityAt: isoTime.nullable(),
  escalatedAt: isoTime.nullable(),
  escalationReason: z.enum(["no-answer", "cannot-reach"]).nullable(),
  closedAt: isoTime.nullable(),
  closedReason: z.enum(["all-well", "activity-seen"]).nullable(),
  title: z.string(),
  body: z.string(),
  acks: z.array(wellbeingAckView),
});
export type WellbeingCheckView = z.infer<typeof wellbeingCheckView>;

/** "HH:MM", 00:00–23:59. */
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM");

/** What the household can adjust, and who recorded consent for activity checks in privacy mode. */
export const wellbeingSettingsView = z.object({
  enabled: z.boolean(),
  startMarginMin: z.number().int(),
  quietHours: z.number(),
  awayUntil: isoTime.nullable(),
  activityInPrivacy: z.boolean(),
  activityInPrivacySetBy: z.string().nullable(),
  activityInPrivacySetAt: isoTime.nullable(),
});
export type WellbeingSettingsView = z.infer<typeof wellbeingSettingsView>;
export const wellbeingSettingsBody = z.object({
  enabled: z.boolean(),
  startMarginMin: z.number().int().min(30).max(360).describe("the day has not started by its usual time plus this"),
  quietHours: z.number().min(2).max(10).describe("no movement for this many daytime hours"),
  awayUntil: isoTime.nullable().describe("no checks until then (visiting relatives, in hospital)"),
  activityInPrivacy: z.boolean().describe("the household consents to activity levels while the camera is private"),
});

/** Today's activity for the family's strip: one character per quarter hour from local midnight. */
export const wellbeingTodayView = z.object({
  householdId: z.string(),
  timeZone: z.string(),
  date: z.string().describe("YYYY-MM-DD, the household's local date"),
  /** 96 quarter hours: "." not reported (offline or private), "0" still, "1"–"9" movement; "" after now. */
  quarters: z.string(),
  /** The usual share of moving minutes per hour (0–1), 24 values, from the last two weeks. */
  usualHourly: z.array(z.number()),
  usualStart: clock.describe("when the day usually starts (local time)"),
  usualEnd: clock,
  learnedFromDays: z.number().int().describe("0: not enough history yet, the defaults are used"),
  lastActivityAt: isoTime.nullable(),
  camera: z.enum(["reporting", "offline", "private", "none"]),
  /** One plain sentence, e.g. "今天上午有活动" / "今天到 10 点还没有看到活动". */
  summary: z.string(),
  check: wellbeingCheckView.nullable().describe("the open check, or once answered today's latest one"),
  settings: wellbeingSettingsView,
});
export type WellbeingTodayView = z.infer<typeof wellbeingTodayView>;

export const wellbeingCheckParams = z.object({ checkId: z.string().min(1).max(64) });
export const wellbeingAnswerBody = z.object({ answer: wellbeingAnswer });
export const wellbeingCheckListQuery = z.object({
  state: z.enum(["active", "all"]).default("active"),
  village: z.string().max(80).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});
export const wellbeingCheckListReply = z.object({ items: z.array(wellbeingCheckView) });

/** Staff name who is told in a village when a family does not answer (installer or staff accounts). */
export const villageContactBody = z.object({ village: z.string().trim().min(1).max(80), userId: z.string().max(64) });
export const villageContactView = z.object({
  id: z.string(),
  village: z.string(),
  userId: z.string(),
  displayName: z.string(),
});
export const villageContactListReply = z.object({ items: z.array(villageContactView) });
export const villageContactParams = z.object({ contactId: z.string().min(1).max(64) });
