// A migrant worker on a phone: opens the invite link, creates an account, sees the home's camera online, opens
// the camera screen, and switches to English. This stack runs without the relay: pressing Watch must say so
// plainly (live view itself is in web-family-live.test.ts).
import type { MqttClient } from "mqtt";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsDevice, installDemoCamera, startStack, type Stack } from "./helpers/stack.ts";
import { ensureWebBuild, hasChromium, launchBrowser, phoneContext, screenshot } from "./web-browser.ts";

/** 邀请家人: the code with a QR code to show in person, the share sheet where the phone has one, 复制 says so. */
async function inviteARelative(page: Page): Promise<void> {
  await page.getByText("邀请家人").click();
  await page.getByRole("button", { name: "生成邀请码" }).click();
  const invite = page.getByTestId("invite");
  await invite.getByRole("img", { name: "邀请二维码" }).waitFor();
  const code = await invite.locator("[data-code]").getAttribute("data-code");
  await invite.getByRole("button", { name: "复制邀请" }).click();
  await invite.getByText("已复制").waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain(`/join/${code}`);
  await invite.getByRole("button", { name: "分享邀请" }).click();
  const shared = await page.evaluate(() => (window as unknown as { shared: ShareData[] }).shared);
  expect(shared).toEqual([expect.objectContaining({ url: expect.stringContaining(`/join/${code}`) })]);
  await screenshot(page, "web-family-invite");
}

describe.skipIf(!hasChromium)("web app: family", () => {
  let stack: Stack;
  let browser: Browser;
  let camera: MqttClient;
  let deviceId: string;

  beforeAll(async () => {
    ensureWebBuild();
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    const installed = await installDemoCamera(stack, 0);
    deviceId = installed.deviceId;
    await stack.db.device.update({ where: { id: deviceId }, data: { label: "堂屋" } });
    camera = await connectAsDevice(stack, installed.deviceId, installed.password);
  }, 60_000);
  afterAll(async () => {
    camera?.end(true);
    await browser?.close();
    await stack?.stop();
  });

  it("joins by invite link, sees the camera online, opens it, and reads it in English too", async () => {
    const installer = await stack.login("installer");
    const invite = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/invites`, {
      token: installer,
      body: { relation: "女儿" },
    });
    expect(invite.status).toBe(201);

    const context = await phoneContext(browser, stack.httpUrl);
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    // Chromium on Linux has no share sheet: stand one in that records what the app hands it.
    await context.addInitScript(() => {
      const shared: ShareData[] = [];
      Object.assign(window, { shared });
      Object.defineProperty(navigator, "share", { value: async (data: ShareData) => void shared.push(data) });
    });
    const page = await context.newPage();
    await page.goto(invite.body.link);
    await page.getByText("黄兴容的家").waitFor();
    await page.fill("input[name=displayName]", "杨小梅");
    expect(await page.inputValue("input[name=relation]")).toBe("女儿");
    await page.fill("input[name=username]", "xiaomei");
    // A weak password is named as it is typed; 显示 shows what was typed.
    await page.fill("input[name=password]", "12345678");
    await page.getByTestId("password-rule").getByText("不能是连着的数字或字母").waitFor();
    await page.fill("input[name=password]", "site-work-2026");
    await page.getByRole("button", { name: "显示密码" }).click();
    expect(await page.getAttribute("input[name=password]", "type")).toBe("text");
    await screenshot(page, "web-family-join");
    await page.getByRole("button", { name: "创建账号并加入" }).click();

    await page.waitForURL("**/family");
    const card = page.locator(`[data-device="${deviceId}"]`);
    await card.waitFor();
    await card.locator('.badge[data-state="online"]').waitFor({ timeout: 10_000 });
    await screenshot(page, "web-family-home");
    const home = await page.textContent("main");
    expect(home).toContain("黄兴容的家");
    expect(home).toContain("堂屋");
    expect(home).toContain("在线");
    expect(home).toContain("暂无画面预览");
    await inviteARelative(page);

    await card.click();
    await page.waitForURL(`**/family/camera/${deviceId}`);
    await page.getByRole("heading", { name: /实时画面/ }).waitFor();
    await screenshot(page, "web-family-camera");
    const screen = await page.textContent("main");
    for (const expected of ["在线", "最后在线", "隐私模式", "未开启", "实时画面", "开始观看"])
      expect(screen).toContain(expected);
    await page.getByRole("button", { name: "开始观看" }).click();
    await page.getByText("这台服务器没有开启实时观看。").waitFor();

    await page.getByRole("button", { name: "Switch to English" }).click();
    await page.getByRole("heading", { name: /Live view/ }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: /Live view/ }).waitFor(); // the choice is kept
    await screenshot(page, "web-family-camera-en");
    const english = await page.textContent("main");
    for (const expected of ["Online", "Last seen", "Privacy mode", "Live view", "Watch"])
      expect(english).toContain(expected);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe("en");
    await context.close();
  }, 60_000);

  it("shows a camera going offline without a reload", async () => {
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await page.goto("/login");
    await page.fill("input[name=username]", "family");
    await page.fill("input[name=password]", "test-password-123");
    await page.click("button[type=submit]");
    const badge = page.locator(`[data-device="${deviceId}"] .badge`);
    await badge.and(page.locator('[data-state="online"]')).waitFor();
    camera.stream.destroy(); // the power goes out at home
    await badge.and(page.locator('[data-state="offline"]')).waitFor({ timeout: 15_000 });
    await screenshot(page, "web-family-offline");
    expect(await page.textContent("main")).toContain("离线");
    await context.close();
  }, 40_000);
});
