// Privacy the elder chose, as the family sees it on a phone: the camera page says the elder switched it on and
// offers only to ask; the ask reaches the camera with the asker's name; the elder's press ends it and the page
// shows it at once. Zh-CN at 360×640.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoPassword } from "./helpers/stack.ts";
import { startStreamingHousehold, type StreamingHousehold } from "./helpers/streaming-household.ts";
import { ensureWebBuild, hasChromium, launchBrowser, phoneContext, screenshot } from "./web-browser.ts";

describe.skipIf(!hasChromium)("web app: the elder's privacy", () => {
  let home: StreamingHousehold;
  let browser: Browser;

  beforeAll(async () => {
    ensureWebBuild();
    // A real simulated camera (its privacy button, its voice prompts); no live view needed.
    [home, browser] = await Promise.all([startStreamingHousehold({ RELAY_ENABLED: "0" }), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await home?.stop();
  });

  it("shows privacy the elder set, lets the family only ask, and shows the elder's press at once", async () => {
    const context = await phoneContext(browser, home.stack.httpUrl);
    const page = await context.newPage();
    await page.goto("/login");
    await page.fill("input[name=username]", "family");
    await page.fill("input[name=password]", demoPassword);
    await page.click("button[type=submit]");
    await page.locator(`[data-device="${home.deviceId}"]`).click();
    const privacy = page.getByTestId("privacy");
    await privacy.getByText("未开启").waitFor();

    home.camera.pressPrivacyButton(); // the elder, at home
    await privacy.getByText("老人自己开的（不拍摄）").waitFor({ timeout: 10_000 });
    expect(await page.getByRole("button", { name: "关闭隐私模式" }).count()).toBe(0);
    await page.getByRole("button", { name: "请老人关闭" }).click();
    await page.getByTestId("privacy-asked").waitFor();
    await screenshot(page, "web-family-privacy-asked");
    expect(await page.getByTestId("privacy-asked").textContent()).toContain("老人按一下隐私键，就能看了");
    expect(home.camera.snapshot().calls.notices.at(-1)?.said).toBe(
      "杨兴焦 (在外务工)想看看家里。同意的话，请按一下隐私键。",
    );

    home.camera.pressPrivacyButton(); // the elder agrees
    await privacy.getByText("未开启").waitFor({ timeout: 10_000 });
    await page.getByRole("button", { name: "开启隐私模式" }).waitFor();
    expect(await page.getByTestId("privacy-asked").count()).toBe(0);
    await screenshot(page, "web-family-privacy-ended");
    await context.close();
  }, 60_000);
});
