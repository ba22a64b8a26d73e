// The elder calls the family, in the app: a simulated camera's call button rings the family's open page in
// headless Chromium at 360×640 (zh-CN); one tap answers, video plays, the microphone is open without holding
// anything and the camera hears it and shows who answered; the view log says the session was a call. A
// call nobody answers shows up as missed with "call back"; a page opened while home rings shows the call too.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { demoPassword, waitFor } from "./helpers/stack.ts";
import {
  browserAndHome,
  hasChromium,
  phoneContext,
  screenshot,
  signIn,
  startStreamingHome,
  videoWidth,
} from "./web-browser.ts";

async function textOf(page: Page): Promise<string> {
  return page.evaluate(() => document.body.innerText);
}

describe.skipIf(!hasChromium)("web app: the elder calls the family", () => {
  const web = browserAndHome(() => startStreamingHome({ CALL_RING_S: "12" }));

  it("rings the open page; one tap shows home and the camera hears the family's voice", async () => {
    const { camera, deviceId, stack } = web.home;
    const context = await phoneContext(web.browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "family", demoPassword);
    await page.locator(`[data-device="${deviceId}"]`).waitFor();

    expect(await camera.pressCallButton()).toBe(true);
    const answer = page.getByRole("button", { name: "接听" });
    await answer.waitFor({ timeout: 10_000 });
    // The answer button and the caller's line are drawn apart: wait for the line too before reading the screen.
    await page.getByText("家来电").first().waitFor({ timeout: 10_000 });
    const ringing = await textOf(page);
    expect(ringing).toContain("家来电");
    expect(ringing).toContain("堂屋的呼叫键被按下了");
    const box = (await answer.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(64);
    expect(box.y + box.height).toBeLessThanOrEqual(640); // on screen without scrolling
    await screenshot(page, "web-call-incoming");

    const talkbackBefore = camera.snapshot().media.stats.talkbackPacketsReceived;
    await answer.click();
    await page.getByText("直播中").waitFor({ timeout: 20_000 });
    await waitFor("the first picture", async () => (await videoWidth(page)) > 0, 15_000);
    await page.getByRole("button", { name: "麦克风已打开（点一下关闭）" }).waitFor();
    await waitFor(
      "the elder hears the phone without a held button",
      () => camera.snapshot().media.stats.talkbackPacketsReceived - talkbackBefore > 25,
      15_000,
    );
    expect(camera.snapshot().calls).toMatchObject({ state: "in-call", answeredBy: "杨兴焦 (在外务工)" });
    const inCall = await textOf(page);
    expect(inCall).toContain("正在和");
    expect(inCall).toContain("你的麦克风已打开");
    await screenshot(page, "web-call-answered");

    await page.getByRole("button", { name: "挂断" }).click();
    const logged = await waitFor(
      "view log entry",
      async () =>
        (await stack.api("GET", `/api/v1/devices/${deviceId}/view-log`, { token: await stack.login("family") })).body
          .items[0],
    );
    expect(logged).toMatchObject({ startedBy: "call", talked: true });
    await waitFor("the camera shows the call ended", () => camera.snapshot().calls.state === "idle");
    const calls = await stack.api("GET", "/api/v1/calls?limit=1", { token: await stack.login("family") });
    expect(calls.body.items[0]).toMatchObject({ state: "ended", answeredByName: "杨兴焦 (在外务工)" });
    await context.close();
  }, 120_000);

  it("a call nobody answers is listed as missed, with call back; the family sets auto-answer", async () => {
    const { camera, stack } = web.home;
    const context = await phoneContext(web.browser, stack.httpUrl);
    const page = await context.newPage();
    // Pressed before the app is open: the page asks for the ringing call when its live socket opens.
    await waitFor("the last call ended on the camera", () => camera.snapshot().calls.state === "idle");
    expect(await camera.pressCallButton()).toBe(true);
    await signIn(page, "family", demoPassword);
    await page.getByRole("button", { name: "稍后再说" }).click({ timeout: 10_000 });
    const missed = page.getByTestId("missed-calls");
    await missed.waitFor({ timeout: 30_000 });
    await missed.getByRole("link", { name: "回拨" }).waitFor();
    expect(await missed.innerText()).toContain("未接来电");
    await waitFor("camera stopped ringing back", () => camera.snapshot().calls.state === "idle");
    await screenshot(page, "web-call-missed");

    await page.getByText("通话设置").click();
    await page.selectOption("select[name=autoAnswer]", "10");
    await page.getByRole("button", { name: "保存", exact: true }).click();
    await page.getByTestId("auto-answer-set-by").getByText("由 杨兴焦 (在外务工) 在").waitFor();
    const settings = await stack.api("GET", `/api/v1/households/${stack.seed.householdId}/call-settings`, {
      token: await stack.login("family"),
    });
    expect(settings.body).toMatchObject({ autoAnswerAfterS: 10, autoAnswerSetBy: "杨兴焦 (在外务工)" });
    await screenshot(page, "web-call-settings");
    await stack.api("PUT", `/api/v1/households/${stack.seed.householdId}/call-settings`, {
      token: await stack.login("family"),
      body: { autoAnswerAfterS: null, declinePrivacyMin: 30 },
    });
    await context.close();
  }, 90_000);

  it("calls home: the camera rings, the elder presses once, video flows and the elder hears the family", async () => {
    const { camera, deviceId, stack } = web.home;
    const context = await phoneContext(web.browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "family", demoPassword);
    await page.locator(`[data-device="${deviceId}"]`).click();
    await page.getByRole("button", { name: "打电话回家" }).click();
    await page.getByText("正在呼叫家里").waitFor({ timeout: 10_000 });
    await waitFor("the camera rings", () => camera.snapshot().calls.state === "ringing");
    expect(camera.snapshot().calls.log.at(-1)).toMatchObject({ state: "ringing", by: "杨兴焦 (在外务工)" });
    await screenshot(page, "web-call-home-ringing");

    const talkbackBefore = camera.snapshot().media.stats.talkbackPacketsReceived;
    expect(await camera.pressCallButton()).toBe(true);
    await page.getByText("直播中").waitFor({ timeout: 20_000 });
    await waitFor("the first picture", async () => (await videoWidth(page)) > 0, 15_000);
    await waitFor(
      "the elder hears the family",
      () => camera.snapshot().media.stats.talkbackPacketsReceived - talkbackBefore > 25,
      15_000,
    );
    expect(camera.snapshot().calls.state).toBe("in-call");
    expect(await textOf(page)).toContain("已接通（家里）");
    expect(await page.locator("video").count()).toBe(1);
    await screenshot(page, "web-call-home-answered");
    await page.getByRole("button", { name: "挂断" }).click();
    const logged = await waitFor(
      "view log entry",
      async () =>
        (await stack.api("GET", `/api/v1/devices/${deviceId}/view-log`, { token: await stack.login("family") })).body
          .items[0],
    );
    expect(logged).toMatchObject({ startedBy: "answered-call", talked: true });
    await context.close();
  }, 120_000);
});
