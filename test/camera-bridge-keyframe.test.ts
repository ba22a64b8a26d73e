// Issue 19's keyframes, for a cold pull of a camera whose encoder always runs (GOP 4 s): the bridge asks the
// camera for a keyframe through ONVIF SetSynchronizationPoint once the camera has answered PLAY, and again every
// 300 ms until one comes. A camera that honours the request (the test ONVIF device service hands it to the
// GStreamer server's x264enc as a GstForceKeyUnit event) sends the pull its first IDR within a fraction of a
// second; one that ignores it makes the pull wait for its next natural keyframe. Each pull starts just after a
// natural keyframe (seen by a second session on the same camera), so without the request the wait is a whole GOP.
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
  naturalKeyframes: () => number;
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
  let keyframes = 0;
  await observer.acquire({ onPacket: (kind, p) => void (kind === "video" && p.keyframeStart && keyframes++) });
  return { camera, onvif, client, observer, naturalKeyframes: () => keyframes };
}

/** ms from a cold pull's start (just after one of the camera's own keyframes) to its first keyframe. */
async function coldPullFirstKeyframeMs(rig: Rig): Promise<number> {
  const seen = rig.naturalKeyframes();
  await waitFor("one of the camera's keyframes", () => rig.naturalKeyframes() > seen, (GOP_S + 2) * 1000);
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
    return firstKeyframeAt! - startedAt;
  } finally {
    await feed.release(listener);
  }
}

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
    const waits: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) waits.push(await coldPullFirstKeyframeMs(current));
    console.log(
      `GOP ${GOP_S} s, camera honours keyframe requests: cold pull → first keyframe ${waits.map(Math.round)} ms`,
    );
    for (const ms of waits) expect(ms).toBeLessThan(1_500);
    expect(current.camera.keyframeRequests().honoured).toBeGreaterThanOrEqual(TRIALS);
    // Requests stop once the keyframe came: far fewer than the five a silent camera gets per pull.
    expect(current.onvif.keyframeRequests.length).toBeLessThan(TRIALS * 5);
  });

  it("a camera that ignores it makes the pull wait for its next keyframe, asked again every 300 ms meanwhile", async () => {
    current = await rig(false);
    const waits: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) waits.push(await coldPullFirstKeyframeMs(current));
    console.log(
      `GOP ${GOP_S} s, camera ignores keyframe requests: cold pull → first keyframe ${waits.map(Math.round)} ms`,
    );
    for (const ms of waits) expect(ms).toBeGreaterThan(2_500);
    expect(current.camera.keyframeRequests()).toEqual({ received: TRIALS * 5, honoured: 0 });
    expect(current.onvif.keyframeRequests).toEqual(Array(TRIALS * 5).fill("main_profile"));
  });
});
