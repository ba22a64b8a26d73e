// The installer's on-site check measures the camera's uplink through the relay: the camera publishes its
// live-view stream for the check (or keeps the one viewers are watching), and the relay's counters for that
// upstream are read when media first arrives and again `durationS` later.
import type { CameraIngestReading, RelayPool, RouterHandle } from "../../../relay/src/index.ts";
import { DomainError } from "../../../protocol/errors.ts";
import type { CommandDispatcher } from "../device-plane/command-dispatcher.ts";
import type { CameraStreams } from "./camera-streams.ts";

/** Two readings of the relay's counters for the camera's upstream, `durationS` apart (null: not publishing). */
export interface UplinkReadings {
  first: CameraIngestReading | null;
  last: CameraIngestReading | null;
}

/** Seconds the check's test stream runs past the measured window. */
const UPLINK_MARGIN_S = 3;
/** How long after the WHIP answer the first media may take to arrive (ICE, DTLS on a slow link). */
const UPLINK_FIRST_MEDIA_MS = 8_000;

export interface UplinkMeasureDeps {
  streams: CameraStreams;
  commands: CommandDispatcher;
  relay(): RelayPool;
  startTimeoutMs: number;
}

export async function measureUplink(
  { streams, commands, relay, startTimeoutMs }: UplinkMeasureDeps,
  cameraId: string,
  durationS: number,
  onMeasuring: () => void,
): Promise<UplinkReadings> {
  if (!streams.isPublishing(cameraId)) {
    const published = streams.publishedWithin(cameraId, startTimeoutMs);
    // The camera streams a little longer than measured, so the last reading still finds it publishing.
    const params = { ...streams.publishTarget(cameraId), durationS: durationS + UPLINK_MARGIN_S };
    const started = await commands.send(cameraId, { name: "site-check", params }, "site-check");
    if (started.status !== "succeeded")
      throw new DomainError("camera-did-not-stream", {
        message: `the camera did not stream: ${started.error ?? started.status}`,
      });
    await published;
  }
  const router = relay().routerFor(cameraId);
  const first = await firstMedia(router);
  onMeasuring();
  // unref: a shutdown need not wait for the window to end (the check is recorded as failed then).
  await new Promise((resolve) => setTimeout(resolve, durationS * 1000).unref());
  return { first, last: await router.cameraIngest() };
}

/** The first reading with media in it: ICE and DTLS take a moment after the WHIP answer. */
async function firstMedia(router: RouterHandle): Promise<CameraIngestReading | null> {
  const giveUpAt = Date.now() + UPLINK_FIRST_MEDIA_MS;
  for (;;) {
    const reading = await router.cameraIngest();
    if ((reading?.video?.packets ?? 0) > 0 || (reading?.audio?.packets ?? 0) > 0 || Date.now() > giveUpAt)
      return reading;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
