// An installer in a village with no signal: the households were kept on the phone while online; with the
// network cut, three cameras are bound and wait in a queue; meanwhile one of them is installed elsewhere.
// When the network returns the queue is sent: two are bound, the third is shown plainly as a conflict.
import { describe, expect, it } from "vitest";
import { demoPassword } from "./helpers/stack.ts";
import { browserAndStack, hasChromium, phoneContext, screenshot, signIn, waitForCachedAssets } from "./web-browser.ts";

describe.skipIf(!hasChromium)("web app: installer binds with no signal", () => {
  const web = browserAndStack();

  it("queues three binds offline, sends them when the network returns, and shows the one bound elsewhere meanwhile", async () => {
    const installer = await web.stack.login("installer");
    const other = await web.stack.api("POST", "/api/v1/households", {
      token: installer,
      body: { village: "青平镇石桥村", elderName: "李桂兰", contactPhone: "13900000010" },
    });
    expect(other.status).toBe(201);
    const home = web.stack.seed.householdId;
    const [box0, box1, box2] = web.stack.seed.cameras;

    const context = await phoneContext(web.browser, web.stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "installer", demoPassword);
    await page.waitForURL("**/installer");
    await page.getByTestId("kept-offline").getByText("已把 2 户存在手机上").waitFor({ timeout: 20_000 });
    // The service worker has the installer's code too, so the app can be reopened out of signal.
    await waitForCachedAssets(page, ["installer-app"]);

    await context.setOffline(true);
    await page.locator(`a[href="/installer/household/${home}"]`).click();
    await page.getByRole("heading", { name: "添加摄像头" }).waitFor();
    for (const box of [box0!, box1!, box2!]) {
      await page.fill("input[name=serial]", box.serial);
      await page.fill("input[name=claimCode]", box.claimCode);
      await page.getByRole("button", { name: "绑定到这个家" }).click();
      await page.locator(`[data-queued="${box.serial}"]`).getByText("等网络恢复后自动发送").waitFor();
    }
    await page.getByText("待发送的绑定（3）").waitFor();
    // The phone's browser is closed and opened again, still with no signal: the page and the queue are still there.
    await page.reload();
    await page.getByText("待发送的绑定（3）").waitFor();
    await screenshot(page, "web-installer-offline-queue");
    expect(await web.stack.db.device.count({ where: { householdId: home } })).toBe(0);

    // While the phone is out of signal, someone else installs the third box in another home.
    const elsewhere = await web.stack.api("POST", `/api/v1/households/${other.body.id}/devices`, {
      token: installer,
      body: { serial: box2!.serial, claimCode: box2!.claimCode },
    });
    expect(elsewhere.status).toBe(200);

    await context.setOffline(false);
    for (const box of [box0!, box1!]) await page.locator(`[data-serial="${box.serial}"]`).waitFor({ timeout: 20_000 });
    const conflict = page.locator(`[data-queued="${box2!.serial}"]`);
    await conflict.getByText("你离线时，这台摄像头已被装到别的家庭").waitFor({ timeout: 20_000 });
    expect(await page.locator("[data-queued]").count()).toBe(1);
    await screenshot(page, "web-installer-offline-sent");

    const devices = await web.stack.db.device.findMany({
      where: { serial: { in: [box0!.serial, box1!.serial, box2!.serial] } },
      orderBy: { serial: "asc" },
    });
    expect(devices.map((d) => d.householdId)).toEqual([home, home, other.body.id]);

    // The start screen says there is something to deal with.
    await page.getByRole("link", { name: "返回" }).click();
    await page.getByText("待发送 0 项 · 需要处理 1 项").waitFor();
    await screenshot(page, "web-installer-offline-home");
    await page.locator(`a[href="/installer/household/${home}"]`).click();
    await conflict.getByRole("button", { name: "知道了，移出列表" }).click();
    await page.getByTestId("bind-queue").waitFor({ state: "detached" });
    await context.close();
  }, 120_000);
});
