// The real browser: headless Chromium runs web/viewer against the relay, decodes the camera's VP8,
// receives its Opus, and its (fake) microphone reaches the simulated camera while talk is held.
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCameraStream, type CameraStream } from "../firmware-sim/src/media/camera-stream.ts";
import {
  chromiumArgs,
  chromiumPath,
  describeTimings,
  hasChromium,
  inboundStats,
  tapWatchAndWaitForPicture,
} from "./helpers/relay-browser.ts";
import { PUBLISH_TOKEN, serveViewer, startRelayStack, waitFor, type RelayStack } from "./relay-stack.ts";

describe.skipIf(!hasChromium)("browser viewer (headless Chromium)", () => {
  let stack: RelayStack;
  let browser: Browser;
  let camera: CameraStream | undefined;
  let coldCamera: Promise<CameraStream> | undefined;

  beforeAll(async () => {
    stack = await startRelayStack({
      setup: serveViewer,
      // The gateway will ask the camera over MQTT to publish when the first viewer joins; do that directly.
      onViewerJoined: ({ cameraId }) => {
        if (cameraId === "cam-cold" && !coldCamera) {
          coldCamera = startCameraStream({
            whipUrl: stack.whipUrl(cameraId),
            token: PUBLISH_TOKEN,
            hostAddresses: ["127.0.0.1"],
          });
        }
      },
    });
    camera = await startCameraStream({
      whipUrl: stack.whipUrl("cam-warm"),
      token: PUBLISH_TOKEN,
      hostAddresses: ["127.0.0.1"],
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await camera?.stop();
    await (await coldCamera?.catch(() => undefined))?.stop();
    await stack?.stop();
  });

  it("shows live video, plays the home's sound, and carries the held talk button's audio to the camera", async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.baseUrl}/viewer/index.html#camera=cam-warm&token=viewer-browser`);
    const metrics = await tapWatchAndWaitForPicture(page);
    console.log(describeTimings("camera already streaming", metrics));

    const first = await inboundStats(page);
    await page.waitForTimeout(1000);
    const later = await inboundStats(page);
    expect(later.videoWidth).toBe(640);
    expect(later.framesDecoded).toBeGreaterThan(first.framesDecoded + 10);
    expect(later.audioPackets).toBeGreaterThan(0);
    expect(await page.textContent("#state")).toContain("已连接");

    // Nothing goes to the camera until the button is held.
    const idle = camera!.stats().talkbackPacketsReceived;
    await page.waitForTimeout(500);
    expect(camera!.stats().talkbackPacketsReceived).toBe(idle);

    const box = (await page.locator("#talk").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    expect(await page.textContent("#talk")).toContain("松开结束");
    const before = camera!.stats().talkbackPacketsReceived;
    await waitFor(
      () => camera!.stats().talkbackPacketsReceived - before > 25,
      10_000,
      "browser microphone packets at the camera",
    );
    await page.mouse.up();
    expect(await page.textContent("#talk")).toContain("按住说话");
    await page.waitForTimeout(300);
    const released = camera!.stats().talkbackPacketsReceived;
    await page.waitForTimeout(600);
    expect(camera!.stats().talkbackPacketsReceived - released).toBeLessThan(3);
    expect(stack.events).toContain("talk:viewer-browser");
    await page.close();
  }, 40_000);

  it("starts a camera on demand and shows its first frame (cold start)", async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.baseUrl}/viewer/index.html#camera=cam-cold&token=viewer-browser`);
    const metrics = await tapWatchAndWaitForPicture(page);
    console.log(describeTimings("camera started on demand", metrics));
    expect((await inboundStats(page)).videoWidth).toBe(640);
    await page.close();
  }, 30_000);
});
