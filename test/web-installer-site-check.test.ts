// The installer runs the on-site check (检测网络) on a phone in Chinese, against a simulated camera that
// really streams through the relay; staff then find the verdict on the camera's page.
import { describe, expect, it } from "vitest";
import { demoPassword } from "./helpers/stack.ts";
import { browserAndHome, hasChromium, phoneContext, screenshot, signIn, startStreamingHome } from "./web-browser.ts";

describe.skipIf(!hasChromium)("web app: the installer's on-site check", () => {
  const web = browserAndHome(() => startStreamingHome(), false);

  it("taps 检测网络, follows the progress and reads the verdict; staff see it later", async () => {
    const { stack, deviceId } = web.home;
    const context = await phoneContext(web.browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "installer", demoPassword);
    await page.waitForURL("**/installer");
    await page.goto(`/installer/household/${stack.seed.householdId}`);
    const card = page.locator(`[data-device="${deviceId}"]`);
    await card.locator('.badge[data-state="online"]').waitFor();
    await card.getByRole("button", { name: "检测网络" }).click();
    await card.getByText("试播 10 秒视频，测量上行带宽…").waitFor({ timeout: 20_000 });
    await card.locator("progress").scrollIntoViewIfNeeded();
    await screenshot(page, "web-installer-site-check-running");
    expect(await card.getByRole("button", { name: "正在检测…" }).isDisabled()).toBe(true);

    const verdict = card.locator("[data-verdict]");
    await verdict.waitFor({ timeout: 40_000 });
    expect(await verdict.getAttribute("data-verdict")).toBe("video-ok");
    const text = await verdict.textContent();
    expect(text).toContain("视频正常");
    expect(text).toContain("家人可以流畅看到家里的画面");
    // Plain words for an installer, and the person who checked by name (not figures with units, not the login).
    expect(text).toContain("网速够看视频");
    expect(text).toMatch(/Wi-Fi 信号信号(很好|一般|差)/);
    expect(text).toContain("安装员 李师傅 检测于");
    expect(text).not.toMatch(/kbit|dBm|ms\b/);
    await verdict.scrollIntoViewIfNeeded();
    await page.screenshot({ path: "test-results/web-installer-site-check-verdict.png" });
    await context.close();

    const staffContext = await phoneContext(web.browser, stack.httpUrl);
    const staffPage = await staffContext.newPage();
    await signIn(staffPage, "staff", demoPassword);
    await staffPage.waitForURL("**/staff");
    await staffPage.goto(`/staff/device/${deviceId}`);
    const checks = staffPage.getByTestId("site-checks");
    await checks.locator('[data-verdict="video-ok"]').waitFor();
    expect(await checks.textContent()).toContain("安装员 李师傅 检测于");
    await checks.scrollIntoViewIfNeeded();
    await staffPage.screenshot({ path: "test-results/web-staff-site-check.png" });
    await staffContext.close();
  }, 120_000);
});
