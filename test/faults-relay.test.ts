// Fault: the relay worker process carrying a camera is SIGKILLed while a family member watches in Chromium.
// The relay pool restarts the worker; the household's live socket is told (view.error relay-restarted); the
// viewer page notices its peer connection fail and rejoins by itself (new WHEP POST, same token), which makes
// the gateway ask the camera over MQTT to publish again; the picture comes back.
import type { Camera } from "../firmware-sim/src/camera.ts";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chromiumArgs,
  chromiumPath,
  hasChromium,
  inboundStats,
  tapWatchAndWaitForPicture,
} from "./helpers/relay-browser.ts";
import { waitFor, type Stack, type TestJson } from "./helpers/stack.ts";
import { startStreamingHousehold, type StreamingHousehold } from "./helpers/streaming-household.ts";

describe.skipIf(!hasChromium)("relay worker killed", () => {
  let household: StreamingHousehold;
  let stack: Stack;
  let browser: Browser;
  let camera: Camera;
  let deviceId: string;
  let live: TestJson[];

  beforeAll(async () => {
    household = await startStreamingHousehold({ STREAM_STOP_GRACE_S: "5" });
    ({ stack, camera, deviceId, live } = household);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await household?.stop();
  });

  it("viewers are told and rejoin; the picture comes back", async () => {
    const family = await stack.login("family");
    const grant = await stack.api("POST", `/api/v1/devices/${deviceId}/view`, { token: family });
    expect(grant.status).toBe(200);
    const page = await browser.newPage();
    await page.goto(`${stack.httpUrl}/viewer/#camera=${deviceId}&token=${encodeURIComponent(grant.body.token)}`);
    await tapWatchAndWaitForPicture(page);
    const streamsBefore = camera.snapshot().media.streamsStarted;

    const pid = stack.gateway.relayPool!.workerPidFor(deviceId)!;
    expect(pid).toBeGreaterThan(0);
    const killedAt = Date.now();
    process.kill(pid, "SIGKILL");

    await waitFor(
      "the household is told",
      () => live.some((m) => m.type === "view.error" && m.error === "relay-restarted"),
      10_000,
    );
    const toldMs = Date.now() - killedAt;
    await waitFor(
      "the viewer page rejoined",
      async () =>
        (await page.evaluate(
          () => (window as unknown as { wangxiang: { metrics: { reconnects: number } } }).wangxiang.metrics.reconnects,
        )) > 0,
      20_000,
      200,
    );
    await waitFor(
      "the camera publishes again",
      () => camera.snapshot().media.streamsStarted > streamsBefore,
      20_000,
      200,
    );
    const framesAt = async () => (await inboundStats(page)).framesDecoded;
    const first = await framesAt();
    await waitFor("the picture moves again", async () => (await framesAt()) > first + 10, 30_000, 300);
    const backMs = Date.now() - killedAt;
    expect(stack.gateway.relayPool!.workerPidFor(deviceId)).not.toBe(pid);
    console.log(`relay kill: household told after ${toldMs} ms, picture back after ${backMs} ms`);
    await page.close();
  }, 90_000);
});
