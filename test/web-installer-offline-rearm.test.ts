// A bind queued with no signal for a box whose claim was re-armed (or revoked) while the phone was away.
// Re-arming keeps the box's claim code (it only drops the camera's credentials), so the queued bind still
// proves possession and goes through, and the camera claims again with the code on its box. A box revoked
// meanwhile is refused with its own plain reason, kept on the phone until the installer dismisses it, and
// binds once staff have re-armed it. Nothing is lost either way.
import { describe, expect, it } from "vitest";
import { demoPassword } from "./helpers/stack.ts";
import { browserAndStack, hasChromium, phoneContext, screenshot, signIn } from "./web-browser.ts";

describe.skipIf(!hasChromium)("web app: a queued bind whose camera was re-armed meanwhile", () => {
  const web = browserAndStack();

  const claim = (box: { serial: string; claimCode: string }) =>
    web.stack.api("POST", "/api/v1/devices/claim", { body: { serial: box.serial, claimCode: box.claimCode } });
  const deviceOf = (serial: string) => web.stack.db.device.findUniqueOrThrow({ where: { serial } });

  it("re-armed: the queued bind goes through and the camera claims again; revoked: refused plainly and kept", async () => {
    const home = web.stack.seed.householdId;
    const [rearmed, revoked] = web.stack.seed.cameras;
    // Both boxes were switched on at the depot: they claimed credentials before anyone bound them.
    for (const box of [rearmed!, revoked!]) expect((await claim(box)).status).toBe(200);
    const staff = await web.stack.login("staff");

    const context = await phoneContext(web.browser, web.stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "installer", demoPassword);
    await page.waitForURL("**/installer");
    await page.getByTestId("kept-offline").getByText("已把 1 户存在手机上").waitFor({ timeout: 20_000 });
    await context.setOffline(true);
    await page.locator(`a[href="/installer/household/${home}"]`).click();
    for (const box of [rearmed!, revoked!]) {
      await page.fill("input[name=serial]", box.serial);
      await page.fill("input[name=claimCode]", box.claimCode);
      await page.getByRole("button", { name: "绑定到这个家" }).click();
      await page.locator(`[data-queued="${box.serial}"]`).waitFor();
    }

    // Out of signal: staff re-arm one box (it was factory-reset) and revoke the other (reported stolen).
    const ids = { rearmed: (await deviceOf(rearmed!.serial)).id, revoked: (await deviceOf(revoked!.serial)).id };
    expect((await web.stack.api("POST", `/api/v1/devices/${ids.rearmed}/rearm`, { token: staff })).status).toBe(200);
    expect((await web.stack.api("POST", `/api/v1/devices/${ids.revoked}/revoke`, { token: staff })).status).toBe(200);

    await context.setOffline(false);
    await page.locator(`[data-serial="${rearmed!.serial}"]`).waitFor({ timeout: 20_000 });
    const refused = page.locator(`[data-queued="${revoked!.serial}"]`);
    await refused.getByText("没有绑定：这台摄像头已被停用。请联系服务中心。").waitFor({ timeout: 20_000 });
    await screenshot(page, "web-installer-offline-rearm");
    expect((await deviceOf(rearmed!.serial)).householdId).toBe(home);
    // The re-armed camera claims again with the code printed on its box.
    expect((await claim(rearmed!)).status).toBe(200);

    // The refusal survives closing the app; the revoked camera was not touched.
    await page.reload();
    await refused.getByText("没有绑定：这台摄像头已被停用").waitFor();
    expect(await deviceOf(revoked!.serial)).toMatchObject({ householdId: null, claimState: "revoked" });

    // Staff re-arm it after all: the installer dismisses the refusal and binds the box again, now with signal.
    expect((await web.stack.api("POST", `/api/v1/devices/${ids.revoked}/rearm`, { token: staff })).status).toBe(200);
    await refused.getByRole("button", { name: "知道了，移出列表" }).click();
    await page.fill("input[name=serial]", revoked!.serial);
    await page.fill("input[name=claimCode]", revoked!.claimCode);
    await page.getByRole("button", { name: "绑定到这个家" }).click();
    await page.locator(`[data-serial="${revoked!.serial}"]`).waitFor({ timeout: 20_000 });
    expect((await deviceOf(revoked!.serial)).householdId).toBe(home);
    await context.close();
  }, 120_000);
});
