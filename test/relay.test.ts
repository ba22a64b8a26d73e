import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCameraStream, type CameraStream } from "../firmware-sim/src/media/camera-stream.ts";
import { defaultAudioClip } from "../firmware-sim/src/media/clip-source.ts";
import { parseOggOpus } from "../firmware-sim/src/media/ogg-opus.ts";
import { PUBLISH_TOKEN, startNodeViewer, startRelayStack, waitFor, type RelayStack } from "./relay-stack.ts";
import { h264OnlyOffer } from "./helpers/sdp-offers.ts";

describe("relay: camera → SFU → viewers, and talk-back", () => {
  let stack: RelayStack;
  let camera: CameraStream;
  const listenerFailures: Record<string, unknown>[] = [];

  beforeAll(async () => {
    stack = await startRelayStack({ workers: 2, log: { error: (details) => void listenerFailures.push(details) } });
    camera = await startCameraStream({
      whipUrl: stack.whipUrl("cam-1"),
      token: PUBLISH_TOKEN,
      hostAddresses: ["127.0.0.1"],
    });
  }, 20_000);

  afterAll(async () => {
    await camera?.stop();
    await stack?.stop();
  });

  it("refuses a camera without the publish token and a viewer without a viewer token", async () => {
    const offer = "v=0\r\n";
    const noToken = await fetch(stack.whipUrl("cam-1"), {
      method: "POST",
      headers: { "content-type": "application/sdp" },
      body: offer,
    });
    expect(noToken.status).toBe(401);
    const badViewer = await fetch(stack.whepUrl("cam-1"), {
      method: "POST",
      headers: { "content-type": "application/sdp", authorization: "Bearer nobody" },
      body: offer,
    });
    expect(badViewer.status).toBe(403);
  });

  it("answers an offer it cannot use with 400, not a relay failure", async () => {
    const post = (body: string) =>
      fetch(stack.whepUrl("cam-1"), {
        method: "POST",
        headers: { "content-type": "application/sdp", authorization: "Bearer viewer-junk" },
        body,
      });
    const junk = await post("v=0\r\ngarbage\r\n");
    expect(junk.status).toBe(400);
    expect((await junk.json()).error).toBe("bad-sdp");
    const unusable = await post(h264OnlyOffer);
    expect(unusable.status).toBe(400);
    expect((await unusable.json()).error).toBe("bad-sdp");
  });

  it("fans one upstream out to two viewers: one camera session, one producer per track", async () => {
    const started = performance.now();
    const first = await startNodeViewer(stack.whepUrl("cam-1"), "viewer-a");
    const firstVideo = await first.firstVideoAt;
    console.log(`werift viewer: WHEP POST → first video RTP ${(firstVideo - started).toFixed(0)} ms`);
    await waitFor(
      () => first.received.videoPackets > 50 && first.received.audioPackets > 20,
      10_000,
      "media at viewer a",
    );

    const rate = async (ms: number) => {
      const before = camera.stats().bytesSent;
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ((camera.stats().bytesSent - before) * 8) / ms; // kbit/s
    };
    const upstream = await rate(2000);
    const second = await startNodeViewer(stack.whepUrl("cam-1"), "viewer-b");
    await waitFor(
      () => second.received.videoPackets > 50 && second.received.audioPackets > 20,
      10_000,
      "media at viewer b",
    );
    console.log(`camera upstream: ${upstream.toFixed(0)} kbit/s`);
    expect(upstream).toBeGreaterThan(100);

    const beforeA = first.received.videoBytes;
    const beforeB = second.received.videoBytes;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(first.received.videoBytes - beforeA).toBeGreaterThan(10_000);
    expect(second.received.videoBytes - beforeB).toBeGreaterThan(10_000);

    // Each join asks the camera for a fresh keyframe; the relay sends at most one PLI per second upstream.
    expect(camera.stats().keyframeRequests).toBeGreaterThanOrEqual(1);
    expect(camera.stats().keyframeRequests).toBeLessThanOrEqual(4);
    // One upstream producer per camera track; each viewer has its own consumer of it.
    const router = (await stack.pool.getRouter("cam-1")!.stats()) as {
      sessions: {
        role: string;
        producers: { kind: string; packetsReceived: number }[];
        consumers: { kind: string; packetsSent: number }[];
      }[];
    };
    // The simulator sends one fixed clip, so its bitrate cannot show a second upstream: the router's sessions do.
    const cameraSessions = router.sessions.filter((s) => s.role === "camera");
    expect(cameraSessions).toHaveLength(1);
    expect(cameraSessions[0]!.producers.map((p) => p.kind).sort()).toEqual(["audio", "video"]);
    const cameraVideo = cameraSessions[0]!.producers.find((p) => p.kind === "video")!;
    expect(cameraVideo.packetsReceived).toBeGreaterThan(100);
    const viewerVideo = router.sessions
      .filter((s) => s.role === "viewer")
      .map((s) => s.consumers.find((c) => c.kind === "video")!.packetsSent);
    expect(viewerVideo).toHaveLength(2);
    for (const sent of viewerVideo) expect(sent).toBeGreaterThan(50);

    await second.stop();
    await waitFor(() => stack.events.some((e) => e.startsWith("left:viewer-b")), 5000, "viewer-b left event");
    await first.stop();
  }, 40_000);

  it("carries a viewer's microphone to the camera (talk-back)", async () => {
    const viewer = await startNodeViewer(stack.whepUrl("cam-1"), "viewer-c");
    await waitFor(() => viewer.received.audioPackets > 10, 10_000, "viewer connected");
    const opus = parseOggOpus(readFileSync(defaultAudioClip)).packets;
    const before = camera.stats().talkbackPacketsReceived;
    await viewer.talk(opus, 50);
    await waitFor(() => camera.stats().talkbackPacketsReceived - before >= 40, 5000, "talk-back packets at the camera");
    expect(camera.stats().talkbackBytesReceived).toBeGreaterThan(1000);
    expect(stack.events).toContain("talk:viewer-c");
    await viewer.stop();
  }, 30_000);

  it("logs a pool listener that throws, and the listeners after it still hear the event", async () => {
    const heard: string[] = [];
    const stopThrowing = stack.pool.events.on("sessionConnected", () => {
      throw new Error("a listener bug");
    });
    const stopHearing = stack.pool.events.on("sessionConnected", ({ cameraId, role, viewerId }) =>
      heard.push(`${cameraId}:${role}:${viewerId}`),
    );
    try {
      const viewer = await startNodeViewer(stack.whepUrl("cam-1"), "viewer-d");
      await waitFor(() => heard.includes("cam-1:viewer:viewer-d"), 10_000, "viewer-d connected event");
      await viewer.stop();
      await waitFor(() => stack.events.some((e) => e.startsWith("left:viewer-d")), 5000, "viewer-d left event");
    } finally {
      stopThrowing();
      stopHearing();
    }
    expect(listenerFailures).toContainEqual(
      expect.objectContaining({
        emitter: "relay-pool",
        event: "sessionConnected",
        err: expect.objectContaining({ message: "a listener bug" }),
      }),
    );
  }, 30_000);
});
