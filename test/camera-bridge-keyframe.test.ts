// Issue 19's keyframes, for a cold pull of a camera whose encoder always runs (GOP 4 s): the bridge asks the
// camera for a keyframe through ONVIF SetSynchronizationPoint once the camera has answered PLAY, and again every
// 300 ms until one comes. A camera that honours the request (the test ONVIF device service hands it to the
// GStreamer server's x264enc as a GstForceKeyUnit event) sends the pull its first IDR within a fraction of a
// second; one that ignores it makes the pull wait for its next natural keyframe. Each pull starts just after a
// keyframe seen by a second session on the same camera (the observer), so without the request the wait is about a
// whole GOP. Which keyframe the pull got is judged on the camera's own clock: the observer receives every keyframe
// the encoder makes, so the pull's first one is the observer's that arrived with it, and its RTP time since the
// keyframe before it says whether it was forced (a fraction of a GOP) or the camera's own (a whole GOP).
import { afterEach, describe, expect, it } from "vitest";
import { RtspFeed, type FeedListener } from "../camera-bridge/src/media/rtsp-feed.ts";
import { OnvifClient } from "../camera-bridge/src/onvif.ts";
import { startOnvifDevice, type OnvifDevice } from "./helpers/onvif-device.ts";
import { hasRtspCameraServer, startRtspCamera, type RtspCamera } from "./helpers/rtsp-camera.ts";
import { waitFor } from "./helpers/stack.ts";

const GOP_S = 4;
const TRIALS = 3;

interface Rig {
  camera: RtspCamera;
  onvif: OnvifDevice;
  client: OnvifClient;
  /** A session that only watches the camera's keyframes (no requests). */
  observer: RtspFeed;
  /** Every keyframe the observer received: when, and its RTP time (90 kHz, the camera's clock). */
  keyframes: ObservedKeyframe[];
}

interface ObservedKeyframe {
  at: number;
  rtpTime: number;
}

interface ColdPull {
  /** ms from the pull's start to its first keyframe. */
  waitMs: number;
  /** ms of camera time between the pull's first keyframe and the camera's keyframe before it. */
  sincePreviousKeyframeMs: number;
}

async function rig(honoursKeyframeRequests: boolean): Promise<Rig> {
  const camera = await startRtspCamera({
    gop: GOP_S,
    width: 320,
    height: 240,
    fps: 25,
    bitrateKbps: 300,
    audio: false,
    alwaysOn: true,
    honoursKeyframeRequests,
  });
  const onvif = await startOnvifDevice({
    username: camera.user,
    password: camera.password,
    streamUri: camera.url,
    jpeg: Buffer.alloc(0),
    onKeyframeRequest: () => camera.requestKeyframe(),
  });
  const account = { username: camera.user, password: camera.password };
  const client = new OnvifClient(onvif.url, account);
  const observer = new RtspFeed({ url: camera.url, account, videoOnly: true });
  const keyframes: ObservedKeyframe[] = [];
  await observer.acquire({
    onPacket: (kind, { packet, keyframeStart }) =>
      void (
        kind === "video" &&
        keyframeStart &&
        keyframes.push({ at: performance.now(), rtpTime: packet.header.timestamp })
      ),
  });
  return { camera, onvif, client, observer, keyframes };
}

/** A cold pull started just after one of the camera's keyframes: how long it waited, and for which keyframe. */
async function coldPull(rig: Rig): Promise<ColdPull> {
  const seen = rig.keyframes.length;
  await waitFor("one of the camera's keyframes", () => rig.keyframes.length > seen, (GOP_S + 2) * 1000);
  const account = { username: rig.camera.user, password: rig.camera.password };
  const requestKeyframe = () => void rig.client.synchronizationPoint("main_profile");
  const feed = new RtspFeed({ url: rig.camera.url, account, videoOnly: true, requestKeyframe });
  let firstKeyframeAt: number | undefined;
  const listener: FeedListener = {
    onPacket: (kind, p) => void (kind === "video" && p.keyframeStart && (firstKeyframeAt ??= performance.now())),
  };
  const startedAt = performance.now();
  try {
    await feed.acquire(listener);
    await waitFor("the pull's first keyframe", () => firstKeyframeAt !== undefined, (GOP_S + 2) * 1000);
    const pulled = firstKeyframeAt!;
    // The same picture reaches both sessions within a moment of each other.
    const index = await waitFor(
      "the observer's copy of that keyframe",
      () => {
        const distances = rig.keyframes.map((k) => Math.abs(k.at - pulled));
        const i = distances.indexOf(Math.min(...distances));
        return i > 0 && distances[i]! < 250 ? i : undefined;
      },
      2_000,
    ).catch(() => {
      const observed = rig.keyframes.map((k) => Math.round(k.at - pulled));
      throw new Error(`the pull's first keyframe reached no other session (observer's, ms from it: ${observed})`);
    });
    const ticks = (rig.keyframes[index]!.rtpTime - rig.keyframes[index - 1]!.rtpTime) >>> 0;
    return { waitMs: pulled - startedAt, sincePreviousKeyframeMs: ticks / 90 };
  } finally {
    await feed.release(listener);
  }
}

const rounded = (pulls: ColdPull[]) =>
  pulls.map((p) => `${Math.round(p.waitMs)} (${Math.round(p.sincePreviousKeyframeMs)} after the one before)`);

describe.skipIf(!hasRtspCameraServer())("camera bridge: keyframe requests on a cold pull (GOP 4 s)", () => {
  let current: Rig | undefined;
  afterEach(async () => {
    await current?.observer.close();
    await current?.onvif.close();
    await current?.camera.stop();
    current = undefined;
  });

  it("a camera that honours SetSynchronizationPoint sends the pull its first keyframe well before its GOP ends", async () => {
    current = await rig(true);
    const pulls: ColdPull[] = [];
    for (let trial = 0; trial < TRIALS; trial++) pulls.push(await coldPull(current));
    console.log(`GOP ${GOP_S} s, camera honours keyframe requests: cold pull → first keyframe ${rounded(pulls)} ms`);
    for (const pull of pulls) expect(pull.waitMs).toBeLessThan(1_500);
    // Forced: well inside the camera's GOP. A pull that starts just before the camera's own keyframe gets that one
    // first (exactly one GOP after the one before, and quickly: the wait above holds); a loaded run met that once. Two
    // of three pulls landing there by chance is unlikely; a camera ignoring the requests does it every time.
    const forced = pulls.filter((p) => p.sincePreviousKeyframeMs < GOP_S * 1000 * 0.75);
    expect(forced.length, `forced keyframes: ${rounded(pulls)}`).toBeGreaterThanOrEqual(TRIALS - 1);
    expect(current.camera.keyframeRequests().honoured).toBeGreaterThanOrEqual(TRIALS);
    // Requests stop once the keyframe came: far fewer than the five a silent camera gets per pull.
    expect(current.onvif.keyframeRequests.length).toBeLessThan(TRIALS * 5);
  });

  it("a camera that ignores it makes the pull wait for its next keyframe, asked again every 300 ms meanwhile", async () => {
    current = await rig(false);
    const pulls: ColdPull[] = [];
    for (let trial = 0; trial < TRIALS; trial++) pulls.push(await coldPull(current));
    console.log(`GOP ${GOP_S} s, camera ignores keyframe requests: cold pull → first keyframe ${rounded(pulls)} ms`);
    // The camera's own keyframe, a whole GOP after the one before it (on the camera's clock: a busy test machine
    // that starts a pull late cannot make this pass or fail), and, on the wall clock, most pulls waited for it.
    for (const pull of pulls) expect(pull.sincePreviousKeyframeMs).toBeGreaterThan(GOP_S * 1000 * 0.95);
    expect(pulls.filter((p) => p.waitMs > 2_500).length).toBeGreaterThanOrEqual(TRIALS - 1);
    expect(current.camera.keyframeRequests()).toEqual({ received: TRIALS * 5, honoured: 0 });
    expect(current.onvif.keyframeRequests).toEqual(Array(TRIALS * 5).fill("main_profile"));
  });
});
