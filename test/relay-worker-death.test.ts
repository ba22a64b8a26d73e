// A mediasoup worker dies (SIGKILL, as the OOM killer would) while a viewer's WHEP request waits on it for
// a camera that has not published yet. The request gets an answer, the server lives, the pool starts the
// worker again, and a camera and a viewer work on the new worker.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCameraStream } from "../firmware-sim/src/media/camera-stream.ts";
import { PUBLISH_TOKEN, startNodeViewer, startRelayStack, waitFor, type RelayStack } from "./relay-stack.ts";

describe("relay worker death", () => {
  let stack: RelayStack;

  beforeAll(async () => {
    stack = await startRelayStack({ workers: 1 });
  }, 30_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("answers a WHEP request that was waiting on the killed worker, then serves from the restarted worker", async () => {
    const viewer = startNodeViewer(stack.whepUrl("cam-quiet"), "viewer-waiting");
    const outcome = viewer.then(
      () => "answered",
      (error: { status?: number; message: string }) => error.status ?? error.message,
    );
    // The request is inside the relay, waiting for a camera that never publishes.
    await waitFor(() => stack.events.includes("joined:viewer-waiting"), 10_000, "the WHEP request reached the relay");
    const pid = stack.pool.workerPidFor("cam-quiet")!;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");

    expect(await outcome).toBe(502);
    // The gateway hears that the session ended (relay-worker-exited, or relay-failed when the worker died before the session existed).
    expect(
      stack.events.some((e) => e.startsWith("left:viewer-waiting:")),
      JSON.stringify(stack.events),
    ).toBe(true);
    await waitFor(() => (stack.pool.workerPidFor("cam-quiet") ?? pid) !== pid, 15_000, "a new worker");

    // The server still answers, and media flows through the new worker.
    const camera = await startCameraStream({
      whipUrl: stack.whipUrl("cam-quiet"),
      token: PUBLISH_TOKEN,
      hostAddresses: ["127.0.0.1"],
    });
    try {
      const again = await startNodeViewer(stack.whepUrl("cam-quiet"), "viewer-after");
      await waitFor(
        () => again.received.videoPackets > 20 && again.received.audioPackets > 10,
        15_000,
        "media after the restart",
      );
      await again.stop();
    } finally {
      await camera.stop();
    }
    const [metrics] = await stack.pool.metrics();
    expect(metrics!.restarts).toBe(1);
  }, 60_000);
});
