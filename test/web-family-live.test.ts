// The family's live view in the app, end to end: a simulated camera that streams when asked, the gateway's
// relay, and the app's WHEP viewer in headless Chromium at 360×640 — watch, hold to talk, see who watched; how a
// view ends (stopped, privacy at home, the phone signed out from elsewhere) is said on the screen.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Camera } from "../firmware-sim/src/camera.ts";
import { demoPassword, waitFor } from "./helpers/stack.ts";
import {
  ensureWebBuild,
  hasChromium,
  launchBrowserForMedia,
  phoneContext,
  screenshot,
  signIn,
  startStreamingHome,
  videoWidth,
  type StreamingHome,
} from "./web-browser.ts";
import { familyPhone } from "./helpers/family-browser.ts";

describe.skipIf(!hasChromium)("web app: family live view", () => {
  let home: StreamingHome;
  let browser: Browser;
  let camera: Camera;
  let deviceId: string;

  beforeAll(async () => {
    ensureWebBuild();
    [home, browser] = await Promise.all([startStreamingHome(), launchBrowserForMedia()]);
    ({ camera, deviceId } = home);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await home?.stop();
  });

  it("watches home, talks while the button is held, and the view appears in who watched", async () => {
    const context = await phoneContext(browser, home.stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "family", demoPassword);
    await page.locator(`[data-device="${deviceId}"]`).click();
    await page.getByRole("button", { name: "开始观看" }).click();
    await page.getByText("直播中").waitFor({ timeout: 20_000 });
    await waitFor("the first picture", async () => (await videoWidth(page)) > 0, 15_000);
    expect(await videoWidth(page)).toBe(640);
    expect(camera.snapshot().media.streaming).toBe(true);

    const talk = page.getByRole("button", { name: "按住说话" });
    const box = (await talk.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(48);
    const before = camera.snapshot().media.stats.talkbackPacketsReceived;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.getByRole("button", { name: "松开结束" }).waitFor();
    await waitFor(
      "the elder hears the phone's microphone",
      () => camera.snapshot().media.stats.talkbackPacketsReceived - before > 25,
      10_000,
    );
    // Each person once, this phone as "你", the talker marked beside their name.
    await page.getByTestId("watching").getByText("正在看：你（在说话）").waitFor();
    await screenshot(page, "web-family-live");
    await page.mouse.up();
    await page.getByRole("button", { name: "按住说话" }).waitFor();
    // Full screen is the whole live card: talk and stop stay within reach, and 退出全屏 brings the page back.
    await page.getByRole("button", { name: "全屏" }).click();
    await page.getByRole("button", { name: "退出全屏" }).waitFor();
    expect(await page.evaluate(() => document.fullscreenElement?.className)).toBe("live");
    await page.getByRole("button", { name: "按住说话" }).waitFor();
    await page.getByRole("button", { name: "结束观看" }).waitFor();
    await screenshot(page, "web-family-live-full-screen");
    await page.getByRole("button", { name: "退出全屏" }).click();
    await page.getByRole("button", { name: "全屏" }).waitFor();
    const released = camera.snapshot().media.stats.talkbackPacketsReceived;
    await page.waitForTimeout(800);
    expect(camera.snapshot().media.stats.talkbackPacketsReceived - released).toBeLessThan(5);

    await page.getByRole("button", { name: "结束观看" }).click();
    await page.getByText("已结束观看。").waitFor();
    await page.getByRole("button", { name: "再看一次" }).waitFor();
    await waitFor("camera stops streaming after the grace period", () => !camera.snapshot().media.streaming, 10_000);
    await page
      .locator("[data-testid=view-log] li", { hasText: "杨兴焦" })
      .filter({ hasText: "说过话" })
      .waitFor({ timeout: 10_000 });
    await screenshot(page, "web-family-watched");
    await context.close();
  }, 90_000);

  it("a camera without the elder's call button (a bridged IP camera) promises no press to call or answer", async () => {
    await home.stack.db.device.update({ where: { id: deviceId }, data: { callButton: false } });
    const context = await phoneContext(browser, home.stack.httpUrl);
    try {
      const page = await context.newPage();
      await signIn(page, "family", demoPassword);
      await page.locator(`[data-device="${deviceId}"]`).waitFor();
      // The home's only camera has no button: auto-answer off means a call home never connects.
      const settings = await page.locator(".call-settings select[name=autoAnswer] option[value='']").textContent();
      expect(settings).toBe("不自动接听（摄像头没有按键，打电话回家不会接通）");
      expect(await page.textContent("main")).not.toContain("按呼叫键");
      await page.locator(`[data-device="${deviceId}"]`).click();
      await page.getByText("这台摄像头没有呼叫键，老人不能按键接听。").waitFor();
      expect(await page.textContent("main")).not.toContain("老人按一下就能");
      await screenshot(page, "web-family-camera-no-call-button");
    } finally {
      await context.close();
      await home.stack.db.device.update({ where: { id: deviceId }, data: { callButton: null } });
    }
  }, 60_000);

  it("a camera without a speaker (a bridged IP camera with no backchannel) says so instead of offering talk", async () => {
    await home.stack.db.device.update({ where: { id: deviceId }, data: { talkback: false } });
    const context = await phoneContext(browser, home.stack.httpUrl);
    try {
      const page = await context.newPage();
      await signIn(page, "family", demoPassword);
      await page.locator(`[data-device="${deviceId}"]`).click();
      await page.getByRole("button", { name: "开始观看" }).click();
      await page.getByText("直播中").waitFor({ timeout: 20_000 });
      await page.getByText("这台摄像头不能对讲").waitFor();
      expect(await page.getByRole("button", { name: "按住说话" }).count()).toBe(0);
      await screenshot(page, "web-family-live-no-talkback");
      await page.getByRole("button", { name: "结束观看" }).click();
      await page.getByText("已结束观看。").waitFor();
    } finally {
      await context.close();
      await home.stack.db.device.update({ where: { id: deviceId }, data: { talkback: true } });
    }
  }, 60_000);

  it("privacy at home cuts the view, and signing the phone out from elsewhere ends it with the reason", async () => {
    const { context, page } = await familyPhone(browser, home);
    await page.locator(`[data-device="${home.deviceId}"]`).click();
    await page.getByRole("button", { name: "开始观看" }).click();
    await waitFor("the first picture", async () => (await videoWidth(page)) > 0, 20_000);
    home.camera.pressPrivacyButton();
    await page.getByText("家里开启了隐私模式，画面已停止。").waitFor({ timeout: 15_000 });
    expect(await page.getByRole("button", { name: "再看一次" }).isDisabled()).toBe(true);
    await screenshot(page, "web-end-view-privacy");
    home.camera.pressPrivacyButton(); // the elder ends it
    await page.getByRole("button", { name: "再看一次" }).click({ timeout: 15_000 });
    await waitFor("the picture again", async () => (await videoWidth(page)) > 0, 20_000);

    // From another phone of the same account: the account screen's list, "让它退出" on this one.
    const phoneToken = await page.evaluate(
      () => (JSON.parse(localStorage.getItem("wx.session")!) as { token: string }).token,
    );
    const mine = await home.stack.api("GET", "/api/v1/auth/sessions", { token: phoneToken });
    const thisPhone = mine.body.items.find((s: { current: boolean }) => s.current);
    const other = await home.stack.login("family");
    expect((await home.stack.api("DELETE", `/api/v1/auth/sessions/${thisPhone.id}`, { token: other })).status).toBe(
      204,
    );
    await page.getByText("这台手机已被退出登录").waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).pathname).toBe("/login");
    await waitFor("the view ended at the camera", () => !home.camera.snapshot().media.streaming, 15_000);
    await screenshot(page, "web-end-signed-out-elsewhere");
    await context.close();
  }, 90_000);
});
