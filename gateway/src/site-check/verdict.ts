// The one place measurements become a verdict the installer can act on. Thresholds are for the stream family
// viewing uses (640×360 VP8 at about 400 kbit/s plus 24 kbit/s Opus, firmware-sim/media/README.md).
import type { SiteCheckAdvice, SiteCheckMeasurements, SiteCheckVerdict } from "../../../protocol/site-check.ts";

export const siteCheckThresholds = {
  /** Below this much video arriving, family viewing stalls (quiet scenes still need ~300 kbit/s). */
  videoMinKbps: 250,
  /** Above this loss VP8 freezes between keyframes: the picture is not watchable. */
  videoMaxLossPct: 5,
  /** A call needs Opus (24 kbit/s) plus RTP/UDP/IP headers at 50 packets/s: about 40 kbit/s on the wire. */
  callMinKbps: 40,
  /** Weaker than this (dBm), Wi-Fi drops packets when someone walks between camera and router. */
  weakWifiDbm: -70,
  /** Commands carry an expiry; a camera clock this far off risks dropping fresh ones as expired, and logs lie. */
  clockSkewMaxMs: 2_000,
  /** Talk-back feels broken past this round trip. */
  slowRoundTripMs: 1_000,
} as const;

export interface SiteCheckJudgement {
  verdict: SiteCheckVerdict;
  advice: SiteCheckAdvice[];
}

export function judgeSiteCheck(
  m: SiteCheckMeasurements,
  limits: typeof siteCheckThresholds = siteCheckThresholds,
): SiteCheckJudgement {
  return { verdict: uplinkVerdict(m, limits), advice: adviceFor(m, limits) };
}

function uplinkVerdict(m: SiteCheckMeasurements, limits: typeof siteCheckThresholds): SiteCheckVerdict {
  if (m.video.kbps >= limits.videoMinKbps && m.video.lossPct <= limits.videoMaxLossPct) return "video-ok";
  // The camera sends more than a thin link carries and the excess is dropped, so what did arrive is the
  // link's capacity: enough for a call, or not even that.
  const arrivedKbps = m.video.kbps + m.audio.kbps;
  if (m.audio.packets > 0 && arrivedKbps >= limits.callMinKbps) return "audio-only";
  return "no-video";
}

function adviceFor(m: SiteCheckMeasurements, limits: typeof siteCheckThresholds): SiteCheckAdvice[] {
  const advice: SiteCheckAdvice[] = [];
  if (m.rssiDbm !== null && m.rssiDbm < limits.weakWifiDbm) advice.push("weak-wifi");
  if (m.clockSkewMs !== null && Math.abs(m.clockSkewMs) > limits.clockSkewMaxMs) advice.push("clock-skew");
  if (m.roundTripMs.samples > 0 && m.roundTripMs.median > limits.slowRoundTripMs) advice.push("slow-round-trip");
  return advice;
}
