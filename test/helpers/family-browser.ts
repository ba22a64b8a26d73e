// What the family's browser tests share beyond test/web-browser.ts: a family member signed in on a phone-sized
// page, the page's text, and the two ways a call begins (home calls, the family calls home) brought to "answered",
// so each test can end the call its own way and read what the screen says afterwards.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { demoPassword, waitFor } from "./stack.ts";
import { phoneContext, signIn, videoWidth, type StreamingHome } from "../web-browser.ts";

export async function textOf(page: Page): Promise<string> {
  return page.evaluate(() => document.body.innerText);
}

/** The demo family member, signed in at 360×640 in zh-CN, on the family home with the camera listed. */
export async function familyPhone(
  browser: Browser,
  home: StreamingHome,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await phoneContext(browser, home.stack.httpUrl);
  const page = await context.newPage();
  await signIn(page, "family", demoPassword);
  await page.locator(`[data-device="${home.deviceId}"]`).waitFor();
  return { context, page };
}

/** Waits until the camera is back to idle (no call ringing or in progress): tests start from a quiet home. */
export async function homeIsQuiet(home: StreamingHome): Promise<void> {
  await waitFor("no call at the camera", () => home.camera.snapshot().calls.state === "idle", 20_000);
}

/** From the camera page: 打电话回家, the elder presses the button, and the picture arrives. */
export async function callHomeAnswered(page: Page, home: StreamingHome): Promise<void> {
  await page.locator(`[data-device="${home.deviceId}"]`).click();
  await page.getByRole("button", { name: "打电话回家" }).click();
  await waitFor("the camera rings", () => home.camera.snapshot().calls.state === "ringing", 10_000);
  await home.camera.pressCallButton();
  await page.getByText("家里接听了").waitFor({ timeout: 20_000 });
  await waitFor("the first picture", async () => (await videoWidth(page)) > 0, 20_000);
}

/** The elder presses the call button, and the family answers on the ringing screen. */
export async function homeCallsAnswered(page: Page, home: StreamingHome): Promise<void> {
  await home.camera.pressCallButton();
  await page.getByRole("button", { name: "接听" }).click({ timeout: 10_000 });
  await waitFor("the call is live at home", () => home.camera.snapshot().calls.state === "in-call", 20_000);
  await waitFor("the first picture", async () => (await videoWidth(page)) > 0, 20_000);
}
