// The family's live view in the app, end to end: a simulated camera that streams when asked, the gateway's
// relay, and the app's WHEP viewer in headless Chromium at 360×640 — watch, hold to talk, see who watched.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCamera, type Camera } from "../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../firmware-sim/src/credentials-store.ts";
import { demoPassword, startStack, waitFor, type Stack } from "./helpers/stack.ts";
import { chromium } from "playwright-core";
import { chromiumArgs, chromiumPath, ensureWebBuild, hasChromium, phoneContext, screenshot, signIn } from "./web-browser.ts";

describe.skipIf(!hasChromium)("web app: family live view", () => {
  let stack: Stack;
  let browser: Browser;
  let camera: Camera;
  let deviceId: string;
  let stateDir: string;

  beforeAll(async () => {
    ensureWebBuild();
    stack = await startStack({ RELAY_ENABLED: "1", RELAY_WORKERS: "1", RELAY_HOST_ADDRESSES: "127.0.0.1", STREAM_STOP_GRACE_S: "1" });
    const installer = await stack.login("installer");
    const box = stack.seed.cameras[0]!;
    const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, { token: installer, body: { serial: box.serial, claimCode: box.claimCode, label: "堂屋" } });
    deviceId = bound.body.id;
    stateDir = mkdtempSync(join(tmpdir(), "wx-web-sim-"));
    camera = createCamera({ serial: box.serial, claimCode: box.claimCode, gatewayUrl: stack.httpUrl, store: createCredentialsStore(stateDir), heartbeatIntervalS: 1, media: { hostAddresses: ["127.0.0.1"] } });
    await camera.start();
    await waitFor("camera online", async () => (await stack.db.device.findUnique({ where: { id: deviceId } }))?.connection === "online");
    // ICE runs over loopback here; Chromium leaves loopback out of ICE unless told.
    browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, "--allow-loopback-in-peer-connection"] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await camera?.stop();
    await stack?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("watches home, talks while the button is held, and the view appears in who watched", async () => {
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "family", demoPassword);
    await page.locator(`[data-device="${deviceId}"]`).click();
    await page.getByRole("button", { name: "开始观看" }).click();
    await page.getByText("直播中").waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => ((document.querySelector(".video-frame video") as HTMLVideoElement | null)?.videoWidth ?? 0) > 0, null, { timeout: 15_000 });
    expect(await page.evaluate(() => (document.querySelector(".video-frame video") as HTMLVideoElement).videoWidth)).toBe(640);
    expect(camera.snapshot().media.streaming).toBe(true);

    const talk = page.getByRole("button", { name: "按住说话" });
    const box = (await talk.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(48);
    const before = camera.snapshot().media.stats.talkbackPacketsReceived;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.getByRole("button", { name: "松开结束" }).waitFor();
    await waitFor("the elder hears the phone's microphone", () => camera.snapshot().media.stats.talkbackPacketsReceived - before > 25, 10_000);
    await page.getByTestId("watching").getByText("杨兴焦").waitFor();
    await screenshot(page, "web-family-live");
    await page.mouse.up();
    await page.getByRole("button", { name: "按住说话" }).waitFor();
    const released = camera.snapshot().media.stats.talkbackPacketsReceived;
    await page.waitForTimeout(800);
    expect(camera.snapshot().media.stats.talkbackPacketsReceived - released).toBeLessThan(5);

    await page.getByRole("button", { name: "结束观看" }).click();
    await waitFor("camera stops streaming after the grace period", () => !camera.snapshot().media.streaming, 10_000);
    await page.locator("[data-testid=view-log] li", { hasText: "杨兴焦" }).filter({ hasText: "说过话" }).waitFor({ timeout: 10_000 });
    await screenshot(page, "web-family-watched");
    await context.close();
  }, 90_000);
});
