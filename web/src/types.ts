// Types of the API's bodies, inferred from the shared zod schemas (type-only imports: no zod in the family bundle).
import type { z } from "zod";
import type {
  alertView,
  commandView,
  deviceDetailView,
  deviceView,
  fleetSummaryReply,
  heartbeatView,
  householdDetailView,
  householdView,
  statusChangeView,
} from "../../protocol/http.ts";
import type { batchUploadReply, batchView } from "../../protocol/batches.ts";
import type { viewGrantReply, viewLogEntry } from "../../protocol/live-view.ts";
import type { siteCheckView } from "../../protocol/site-check.ts";
import type { accountView, assignmentView } from "../../protocol/accounts.ts";
import type { snapshotView } from "../../protocol/snapshots.ts";
import type {
  answerCallReply,
  callSettingsView,
  callView,
  callWindowView,
  noticePreferences,
  noticeView,
} from "../../protocol/calls.ts";
import type { wellbeingCheckView, wellbeingSettingsView, wellbeingTodayView } from "../../protocol/wellbeing.ts";

export type DeviceView = z.infer<typeof deviceView>;
export type DeviceDetail = z.infer<typeof deviceDetailView>;
export type HouseholdView = z.infer<typeof householdView>;
export type AlertView = z.infer<typeof alertView>;
export type CommandView = z.infer<typeof commandView>;
export type FleetSummary = z.infer<typeof fleetSummaryReply>;
export type Heartbeat = z.infer<typeof heartbeatView>;
export type StatusChange = z.infer<typeof statusChangeView>;
export type ViewGrant = z.infer<typeof viewGrantReply>;
export type ViewLogEntry = z.infer<typeof viewLogEntry>;
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  total: number;
}
export type HouseholdDetail = z.infer<typeof householdDetailView>;
export type AccountView = z.infer<typeof accountView>;
export type AssignmentView = z.infer<typeof assignmentView>;
export type BatchUploadReply = z.infer<typeof batchUploadReply>;
export type BatchView = z.infer<typeof batchView>;
export type CallView = z.infer<typeof callView>;
export type SnapshotView = z.infer<typeof snapshotView>;
export type AnsweredCall = z.infer<typeof answerCallReply>;
export type CallSettings = z.infer<typeof callSettingsView>;
export type CallWindow = z.infer<typeof callWindowView>;
export type Notice = z.infer<typeof noticeView>;
export type NoticePreferences = z.infer<typeof noticePreferences>;
export type SiteCheckView = z.infer<typeof siteCheckView>;
export type WellbeingToday = z.infer<typeof wellbeingTodayView>;
export type WellbeingCheck = z.infer<typeof wellbeingCheckView>;
export type WellbeingSettings = z.infer<typeof wellbeingSettingsView>;
