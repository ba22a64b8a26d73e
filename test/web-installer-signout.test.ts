// What the installer's phone keeps for working without signal (households, elders' phone numbers, queued
// binds with their claim codes) is deleted on sign-out, so the next person to use the phone finds none of it;
// binds not yet sent are not thrown away without asking.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { demoPassword } from "./helpers/stack.ts";
import { browserAndStack, hasChromium, phoneContext, signIn } from "./web-browser.ts";

/** The keys kept in the installer's IndexedDB store; null when the database does not exist. */
function keptKeys(page: Page): Promise<string[] | null> {
  return page.evaluate(async () => {
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (!names.includes("wangxiang-installer")) return null;
    return new Promise<string[]>((resolve, reject) => {
      const open = indexedDB.open("wangxiang-installer");
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        const keys = db.transaction("kv").objectStore("kv").getAllKeys();
        keys.onsuccess = () => {
          db.close();
          resolve(keys.result.map(String));
        };
        keys.onerror = () => reject(keys.error);
      };
    });
  });
}

describe.skipIf(!hasChromium)("web app: installer sign-out clears the phone", () => {
  const web = browserAndStack();

  it("asks before dropping unsent binds, then deletes the kept households and the queue", async () => {
    const home = web.stack.seed.householdId;
    const box = web.stack.seed.cameras[0]!;
    const context = await phoneContext(web.browser, web.stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "installer", demoPassword);
    await page.getByTestId("kept-offline").getByText("已把 1 户存在手机上").waitFor({ timeout: 20_000 });
    await context.setOffline(true);
    await page.locator(`a[href="/installer/household/${home}"]`).click();
    await page.fill("input[name=serial]", box.serial);
    await page.fill("input[name=claimCode]", box.claimCode);
    await page.getByRole("button", { name: "绑定到这个家" }).click();
    await page.locator(`[data-queued="${box.serial}"]`).waitFor();
    const kept = await keptKeys(page);
    expect(kept).toContain("bind-queue");
    expect(kept!.some((key) => key.includes(`/households/${home}`))).toBe(true);

    // First the installer thinks better of it: nothing is deleted and they stay signed in.
    const dialogs: string[] = [];
    page.once("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole("button", { name: "退出登录" }).click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toContain("还有 1 个绑定没有发送");
    expect(await keptKeys(page)).toEqual(kept);
    expect(page.url()).toContain(`/installer/household/${home}`);

    // Back online the queue is sent; then signing out asks nothing and leaves nothing of the installer's behind.
    await context.setOffline(false);
    await page.locator(`[data-serial="${box.serial}"]`).waitFor({ timeout: 20_000 });
    await page.getByRole("button", { name: "退出登录" }).click();
    await page.waitForURL(/\/login/);
    expect(dialogs).toHaveLength(1);
    await expect.poll(() => keptKeys(page)).toBeNull();
    expect(await page.evaluate(() => localStorage.getItem("wx.session"))).toBeNull();
    await context.close();
  }, 90_000);
});
