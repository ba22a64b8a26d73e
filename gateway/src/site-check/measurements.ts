// Turns the check's raw readings (clock probes, two readings of the relay's counters) into measurements.
import type { CameraIngestReading, TrackCounters } from "../../../relay/src/index.ts";
import type { SiteCheckMeasurements, TrackIngest } from "../../../protocol/site-check.ts";
import type { UplinkReadings } from "../live-view/live-view-service.ts";

export interface ProbeSample {
  sentAt: number;
  receivedAt: number;
  /** The camera's clock when it answered. */
  cameraAt: number;
  /** null: a wired camera. */
  rssi: number | null;
}

export interface RoundTrips {
  roundTripMs: SiteCheckMeasurements["roundTripMs"];
  rssiDbm: number | null;
  clockSkewMs: number | null;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The median Wi-Fi signal; null for a wired camera (it reports none). */
function signalOf(samples: ProbeSample[]): number | null {
  const readings = samples.map((s) => s.rssi).filter((r): r is number => r !== null);
  return readings.length ? Math.round(median(readings)) : null;
}

export function roundTrips(samples: ProbeSample[]): RoundTrips {
  if (samples.length === 0) return { roundTripMs: { median: 0, max: 0, samples: 0 }, rssiDbm: null, clockSkewMs: null };
  const rtts = samples.map((s) => s.receivedAt - s.sentAt);
  // NTP's reasoning: the quickest round trip bounds the error best; the camera read its clock near its middle.
  const quickest = samples.reduce((best, s) => (s.receivedAt - s.sentAt < best.receivedAt - best.sentAt ? s : best));
  return {
    roundTripMs: { median: median(rtts), max: Math.max(...rtts), samples: samples.length },
    rssiDbm: signalOf(samples),
    clockSkewMs: Math.round(quickest.cameraAt - (quickest.sentAt + quickest.receivedAt) / 2),
  };
}

const noTrack: TrackIngest = { kbps: 0, packets: 0, lost: 0, lossPct: 0 };

function trackBetween(first: TrackCounters | null, last: TrackCounters | null, seconds: number): TrackIngest {
  if (!last || seconds <= 0) return noTrack;
  const start = first ?? { packets: 0, bytes: 0, lost: 0 };
  const packets = Math.max(0, last.packets - start.packets);
  const lost = Math.max(0, last.lost - start.lost);
  const bytes = Math.max(0, last.bytes - start.bytes);
  return {
    kbps: Math.round((bytes * 8) / seconds / 100) / 10,
    packets,
    lost,
    lossPct: packets + lost > 0 ? Math.round((lost / (packets + lost)) * 1000) / 10 : 0,
  };
}

/** Both readings must be of the same upstream: a stream that ended or restarted in between measured nothing. */
function sameUpstream(first: CameraIngestReading | null, last: CameraIngestReading | null) {
  return first && last && first.sessionId === last.sessionId ? { first, last } : null;
}

export function measurementsFrom(readings: UplinkReadings, probes: RoundTrips): SiteCheckMeasurements {
  const pair = sameUpstream(readings.first, readings.last);
  const seconds = pair ? (pair.last.at - pair.first.at) / 1000 : 0;
  return {
    streamS: Math.round(seconds * 10) / 10,
    video: pair ? trackBetween(pair.first.video, pair.last.video, seconds) : noTrack,
    audio: pair ? trackBetween(pair.first.audio, pair.last.audio, seconds) : noTrack,
    ...probes,
  };
}
