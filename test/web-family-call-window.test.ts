// The household settings and the call window in the app, in headless Chromium at 360×640 (zh-CN): a member
// sets the call window and chooses the notices they want; within the window, looking in is refused with a
// plain message and the page offers "call home"; the simulated elder answers, video flows, and the view log
// says the session was an answered call. A camera offline for half an hour shows up in the notices list.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { minuteOfDay } from "../gateway/src/calls/call-windows.ts";
import type { MqttClient } from "mqtt";
import { connectAsDevice, demoPassword, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";
import {
  ensureWebBuild,
  hasChromium,
  launchBrowser,
  launchBrowserForMedia,
  phoneContext,
  screenshot,
  signIn,
  startStreamingHome,
  videoWidth,
  type StreamingHome,
} from "./web-browser.ts";

/** "HH:MM" in Shanghai, `offsetMin` from now. */
function shanghaiClock(offsetMin: number): string {
  const m = (((minuteOfDay(new Date(), "Asia/Shanghai") + offsetMin) % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

const textOf = (page: Page) => page.evaluate(() => document.body.innerText);

describe.skipIf(!hasChromium)("web app: household settings and notices", () => {
  let home: { stack: Stack; deviceId: string; cameraClient: MqttClient };
  let browser: Browser;

  beforeAll(async () => {
    ensureWebBuild();
    const [stack, launched] = await Promise.all([startStack(), launchBrowser()]);
    browser = launched;
    const camera = await installDemoCamera(stack);
    home = {
      stack,
      deviceId: camera.deviceId,
      cameraClient: await connectAsDevice(stack, camera.deviceId, camera.password),
    };
  }, 60_000);

  afterAll(async () => {
    home?.cameraClient.end(true);
    await browser?.close();
    await home?.stack.stop();
  });

  it("a member sets the call window and chooses notices in the household settings", async () => {
    const { stack } = home;
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "family", demoPassword);
    await page.getByRole("heading", { name: /的家/ }).first().waitFor();
    await page.getByText("通话设置").click();
    const window = page.getByTestId("call-window");
    await window.getByText("开启通话时段").click();
    await window.locator("input[name=callWindowStart]").fill(shanghaiClock(-60));
    await window.locator("input[name=callWindowEnd]").fill(shanghaiClock(60));
    await window.getByRole("button", { name: "保存通话时段" }).click();
    await page.getByTestId("call-window-set-by").getByText("现在就在通话时段内").waitFor();
    const token = await stack.login("family");
    const saved = await stack.api("GET", `/api/v1/households/${stack.seed.householdId}/call-window`, { token });
    expect(saved.body).toMatchObject({
      window: { start: shanghaiClock(-60), end: shanghaiClock(60) },
      timeZone: "Asia/Shanghai",
      setBy: "杨兴焦 (在外务工)",
      activeNow: true,
    });

    const notices = page.getByTestId("notices");
    await notices.getByText("暂时没有消息").waitFor();
    await notices.getByText("摄像头恢复在线").click(); // off: only the offline notice reaches this phone
    const preferencesUrl = `/api/v1/households/${stack.seed.householdId}/notice-preferences`;
    await waitFor(
      "choice saved",
      async () => (await stack.api("GET", preferencesUrl, { token })).body.cameraBack === false,
    );
    expect(await notices.locator("input[name=cameraOffline]").isChecked()).toBe(true);
    await notices.scrollIntoViewIfNeeded();
    await screenshot(page, "web-household-call-window-notices");
    await context.close();
  }, 90_000);

  it("a camera offline for half an hour is told on any open page, in plain Chinese, and listed at home", async () => {
    const { stack, deviceId } = home;
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "family", demoPassword);
    await page.getByTestId("notices").getByText("暂时没有消息").waitFor();
    await page.locator(`[data-device="${deviceId}"]`).click();
    await page.getByTestId("call-window-banner").waitFor();
    home.cameraClient.stream.destroy(); // power cut: the broker publishes the camera's will
    await waitFor(
      "offline",
      async () => (await stack.db.device.findUnique({ where: { id: deviceId } }))?.connection === "offline",
      20_000,
    );
    await stack.gateway.alerts.check(new Date(Date.now() + 31 * 60_000));
    const toast = page.getByTestId("notice-toast");
    await toast.getByText("黄兴容家的摄像头离线了").waitFor({ timeout: 10_000 });
    expect(await toast.innerText()).toContain("停电");
    await screenshot(page, "web-notice-toast");
    await toast.getByRole("button", { name: "知道了" }).click();
    await toast.waitFor({ state: "detached" });

    await page.goto("/family");
    const notices = page.getByTestId("notices");
    await notices.getByText("黄兴容家的摄像头离线了").waitFor({ timeout: 10_000 });
    expect(await notices.innerText()).toContain("联系村里的安装员");
    await notices.scrollIntoViewIfNeeded();
    await screenshot(page, "web-notice-camera-offline");
    await context.close();
  }, 90_000);
});

describe.skipIf(!hasChromium)("web app: looking in during the call window", () => {
  let home: StreamingHome;
  let browser: Browser;

  beforeAll(async () => {
    ensureWebBuild();
    [home, browser] = await Promise.all([startStreamingHome(), launchBrowserForMedia()]);
    const set = await home.stack.api("PUT", `/api/v1/households/${home.stack.seed.householdId}/call-window`, {
      token: await home.stack.login("family"),
      body: { window: { start: shanghaiClock(-60), end: shanghaiClock(60) } },
    });
    expect(set.body.activeNow).toBe(true);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await home?.stop();
  });

  it("the relay refuses a WHEP session within the window for a token granted before it began", async () => {
    const { deviceId, stack } = home;
    const token = await stack.login("family");
    const windowUrl = `/api/v1/households/${stack.seed.householdId}/call-window`;
    await stack.api("PUT", windowUrl, {
      token,
      body: { window: { start: shanghaiClock(60), end: shanghaiClock(120) } },
    });
    const granted = await stack.api("POST", `/api/v1/devices/${deviceId}/view`, { token });
    expect(granted.status).toBe(200);
    await stack.api("PUT", windowUrl, {
      token,
      body: { window: { start: shanghaiClock(-60), end: shanghaiClock(60) } },
    });
    const whep = await fetch(`${stack.httpUrl}${granted.body.whepUrl}`, {
      method: "POST",
      headers: { authorization: `Bearer ${granted.body.token}`, "content-type": "application/sdp" },
      body: "v=0\r\n",
    });
    expect(whep.status).toBe(403);
    expect(await whep.json()).toMatchObject({ error: "call-window" });
  });

  it("within the window, looking in is refused plainly with call home offered; the elder answers and video flows", async () => {
    const { camera, deviceId, stack } = home;
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "family", demoPassword);
    await page.locator(`[data-device="${deviceId}"]`).click();
    const banner = page.getByTestId("call-window-banner");
    await banner.waitFor();
    expect(await banner.innerText()).toContain("现在是家里定的通话时段");
    await page.getByRole("button", { name: "开始观看" }).click();
    await page.getByText("不能直接看").waitFor({ timeout: 10_000 });
    expect(await textOf(page)).toContain("请先点上面的“打电话回家”");
    expect(await videoWidth(page)).toBe(0);
    const offer = banner.getByRole("link", { name: "打电话回家" });
    const box = (await offer.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(640); // on screen without scrolling
    await screenshot(page, "web-call-window-refused");

    await offer.click();
    await waitFor("the camera rings", () => camera.snapshot().calls.state === "ringing", 10_000);
    await page.getByText("正在呼叫家里").waitFor();
    expect(await camera.pressCallButton()).toBe(true);
    await page.getByText("直播中").waitFor({ timeout: 20_000 });
    await waitFor("the first picture", async () => (await videoWidth(page)) > 0, 15_000);
    await screenshot(page, "web-call-window-answered");
    await page.getByRole("button", { name: "挂断" }).click();
    const logged = await waitFor(
      "view log entry",
      async () =>
        (await stack.api("GET", `/api/v1/devices/${deviceId}/view-log`, { token: await stack.login("family") })).body
          .items[0],
    );
    expect(logged).toMatchObject({ startedBy: "answered-call" });
    await context.close();
  }, 120_000);
});
