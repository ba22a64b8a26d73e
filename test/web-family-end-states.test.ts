// How calls and live views end, as the family's phone shows it (headless Chromium at 360×640, zh-CN, real WebRTC
// through the relay to a simulated camera): the elder hangs up a call home and a call they made; privacy at home
// cuts a live view; the phone is signed out from elsewhere while it watches. Each time the screen says what
// happened in plain words and offers the next thing, and the camera is idle again. (The family hanging up, and
// 稍后再说, are in web-family-call.test.ts; stopping a live view in web-family-live.test.ts.)
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "./helpers/stack.ts";
import {
  ensureWebBuild,
  hasChromium,
  launchBrowserForMedia,
  screenshot,
  startStreamingHome,
  videoWidth,
  type StreamingHome,
} from "./web-browser.ts";
import { callHomeAnswered, familyPhone, homeCallsAnswered, homeIsQuiet, textOf } from "./helpers/family-browser.ts";

describe.skipIf(!hasChromium)("web app: how calls and live views end", () => {
  let home: StreamingHome;
  let browser: Browser;

  beforeAll(async () => {
    ensureWebBuild();
    [home, browser] = await Promise.all([startStreamingHome(), launchBrowserForMedia()]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await home?.stop();
  });

  it("the elder hangs up a call home: the page says so, and the call card and live view are back", async () => {
    const { context, page } = await familyPhone(browser, home);
    await callHomeAnswered(page, home);
    expect(await home.camera.pressCallButton()).toBe(true); // in a call, the button hangs up
    await page.getByTestId("call-ended").getByText("家里挂断了，通话已结束。").waitFor({ timeout: 15_000 });
    await homeIsQuiet(home);
    await page.getByRole("button", { name: "打电话回家" }).waitFor();
    await page.getByRole("button", { name: "开始观看" }).waitFor();
    expect(await textOf(page)).not.toContain("麦克风已打开");
    const calls = await home.stack.api("GET", "/api/v1/calls?limit=1", { token: await home.stack.login("family") });
    expect(calls.body.items[0]).toMatchObject({ direction: "to-home", state: "ended" });
    await screenshot(page, "web-end-home-hung-up-call-home");
    await context.close();
  }, 90_000);

  it("the elder hangs up the call they made: the call screen says so and offers call home or back home", async () => {
    await homeIsQuiet(home);
    const { context, page } = await familyPhone(browser, home);
    await homeCallsAnswered(page, home);
    expect(await home.camera.pressCallButton()).toBe(true);
    const ended = page.getByTestId("call-ended");
    await ended.getByText("家里挂断了，通话已结束。").waitFor({ timeout: 15_000 });
    await homeIsQuiet(home);
    expect(await page.locator("video").count()).toBe(0);
    expect(await page.locator("h1").innerText()).toMatch(/^和.+家的通话已结束$/);
    await screenshot(page, "web-end-home-hung-up-call-from-home");
    await ended.getByRole("link", { name: "打电话回家" }).click();
    // The link calls home at once from the camera page: the camera rings again; hang up before it is answered.
    await waitFor("the camera rings again", () => home.camera.snapshot().calls.state === "ringing", 10_000);
    await page.getByRole("button", { name: "挂断" }).click();
    await page.getByText("已挂断。").waitFor();
    await homeIsQuiet(home);
    await context.close();
  }, 90_000);

  it("privacy at home cuts the view, and signing the phone out from elsewhere ends it with the reason", async () => {
    await homeIsQuiet(home);
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
