// The installer's on-site check: what the gateway measures about a home's uplink, the verdict made from it
// and how the check is shown to installers and staff.
import { z } from "zod";
import { isoTime } from "./device-messages.ts";
import { errorCode } from "./errors.ts";

/** What arrived at the relay from one of the camera's tracks during the test stream. */
export const trackIngest = z.object({
  kbps: z.number().min(0),
  packets: z.number().int().min(0),
  /** Missing RTP sequence numbers (the relay's receiver counts, as reported in its RTCP). */
  lost: z.number().int().min(0),
  lossPct: z.number().min(0).max(100),
});
export type TrackIngest = z.infer<typeof trackIngest>;

export const siteCheckMeasurements = z.object({
  /** Seconds of stream the relay measured. */
  streamS: z.number().min(0),
  video: trackIngest,
  audio: trackIngest,
  /** Command round trips gateway → broker → camera → gateway. */
  roundTripMs: z.object({ median: z.number().min(0), max: z.number().min(0), samples: z.number().int().min(0) }),
  /** The camera's Wi-Fi signal (dBm) at the check. */
  rssiDbm: z.number().int().min(-130).max(0).nullable(),
  /** Camera clock minus gateway clock, from the quickest round trip (NTP's way). */
  clockSkewMs: z.number().int().nullable(),
});
export type SiteCheckMeasurements = z.infer<typeof siteCheckMeasurements>;

export const siteCheckVerdict = z
  .enum(["video-ok", "audio-only", "no-video"])
  .describe("video-ok 视频正常; audio-only 仅能通话：请把路由器移近; no-video 无法看视频：上行带宽不足");
export type SiteCheckVerdict = z.infer<typeof siteCheckVerdict>;

export const siteCheckAdvice = z.enum(["weak-wifi", "clock-skew", "slow-round-trip"]);
export type SiteCheckAdvice = z.infer<typeof siteCheckAdvice>;

export const siteCheckPhase = z.enum(["probing", "streaming", "judging"]);

export const siteCheckView = z.object({
  id: z.string(),
  deviceId: z.string(),
  householdId: z.string().nullable(),
  /** The login of who ran it, and their display name (what screens show). */
  requestedBy: z.string(),
  requestedByName: z.string().nullable(),
  state: z.enum(["running", "done", "failed"]),
  /** While running: what is being measured now. */
  phase: siteCheckPhase.nullable(),
  /** While running: 0–1, for the installer's progress bar. */
  progress: z.number().min(0).max(1),
  startedAt: isoTime,
  finishedAt: isoTime.nullable(),
  verdict: siteCheckVerdict.nullable(),
  advice: z.array(siteCheckAdvice),
  measurements: siteCheckMeasurements.nullable(),
  /** A check that could not finish (the camera went offline, the stream never started): why, as a catalogue code. */
  error: errorCode.nullable(),
});
export type SiteCheckView = z.infer<typeof siteCheckView>;

export const siteCheckParams = z.object({ checkId: z.string().min(1).max(64) });
