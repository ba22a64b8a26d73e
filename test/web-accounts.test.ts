// Accounts in the browser: staff create an installer and disable a family account from the accounts screen; the
// family member's open app is signed out at once and told why; a user changes their own password; a family member
// signs a lent phone out from the account screen, and staff help one who forgot the password (帮他登录).
import { describe, expect, it } from "vitest";
import { demoPassword, waitFor } from "./helpers/stack.ts";
import { browserAndStack, hasChromium, phoneContext, screenshot, signIn } from "./web-browser.ts";
import { createHouseholdWithFamily } from "./helpers/security-fixtures.ts";

describe.skipIf(!hasChromium)("web app: accounts and sessions", () => {
  const web = browserAndStack();

  it("staff disable an account: the family member's open app signs out and says why", async () => {
    const family = await (await phoneContext(web.browser, web.stack.httpUrl)).newPage();
    await signIn(family, "family", demoPassword);
    await family.waitForURL("**/family");
    await waitFor("the family app's live socket", () => web.stack.gateway.hub.size === 1);

    const staff = await (await phoneContext(web.browser, web.stack.httpUrl)).newPage();
    await signIn(staff, "staff", demoPassword);
    await staff.waitForURL("**/staff");
    await staff.goto("/staff/accounts");
    await staff.fill("input[name=username]", "installer-chen");
    await staff.fill("input[name=displayName]", "安装员 陈");
    await staff.fill("input[name=password]", "chen-password-1");
    await staff.click("form button[type=submit]");
    await staff.locator("[data-account=installer-chen]").waitFor();
    await staff.locator("[data-account=family] [data-toggle=disable]").click();
    await staff.locator("[data-account=family] [data-toggle=enable]").waitFor();

    const notice = family.locator("[data-ended=account-disabled]");
    await notice.waitFor({ timeout: 10_000 });
    expect(family.url()).toContain("/login");
    await screenshot(family, "accounts-disabled-notice");
    expect(
      (
        await web.stack.api("POST", "/api/v1/auth/login", {
          body: { username: "installer-chen", password: "chen-password-1" },
        })
      ).status,
    ).toBe(200);
  });

  it("a user changes their password on the account screen; the old one stops working", async () => {
    const page = await (await phoneContext(web.browser, web.stack.httpUrl)).newPage();
    await signIn(page, "installer", demoPassword);
    await page.waitForURL("**/installer");
    await page.goto("/account");
    await page.fill("input[name=currentPassword]", demoPassword);
    await page.fill("input[name=newPassword]", "a-new-password-9");
    await page.click("form button[type=submit]");
    await page.locator(".notice[role=status]").waitFor();
    expect(
      (await web.stack.api("POST", "/api/v1/auth/login", { body: { username: "installer", password: demoPassword } }))
        .status,
    ).toBe(401);
    expect(
      (
        await web.stack.api("POST", "/api/v1/auth/login", {
          body: { username: "installer", password: "a-new-password-9" },
        })
      ).status,
    ).toBe(200);
  });

  it("a lent phone is signed out from the account screen; staff set a new password and the app says why", async () => {
    await createHouseholdWithFamily(web.stack, {
      village: "石桥村",
      elderName: "王秀英",
      username: "wang-xiaohua",
      displayName: "王小华",
    });
    const page = await (await phoneContext(web.browser, web.stack.httpUrl)).newPage();
    await signIn(page, "wang-xiaohua", "another-password-456");
    await page.waitForURL("**/family");
    const lent = await web.stack.login("wang-xiaohua", "another-password-456");
    await page.goto("/account");
    const sessions = page.getByTestId("sessions");
    // Signed in three times: at joining, on this page, and the lent phone.
    await waitFor("three sign-ins listed", async () => (await sessions.locator("li").count()) === 3);
    await sessions.locator("[data-session=current]").getByText("正在用的这台").waitFor();
    await screenshot(page, "accounts-my-phones");
    await sessions.locator("[data-session=other]").first().getByRole("button", { name: "让它退出" }).click();
    await waitFor("one fewer listed", async () => (await sessions.locator("li").count()) === 2);
    await sessions.getByRole("button", { name: "退出其他所有手机和电脑" }).click();
    await waitFor("only this phone listed", async () => (await sessions.locator("li").count()) === 1);
    expect((await web.stack.api("GET", "/api/v1/auth/me", { token: lent })).status).toBe(401);

    const staff = await (await phoneContext(web.browser, web.stack.httpUrl)).newPage();
    await signIn(staff, "staff", demoPassword);
    await staff.waitForURL("**/staff");
    await staff.goto("/staff/accounts");
    const row = staff.locator("[data-account=wang-xiaohua]");
    await row.getByText("帮他登录").click();
    await row.getByText("现在在 1 台手机或电脑上登录着。").waitFor();
    await row.locator("input[name=newPassword]").fill("123456789");
    await row.getByText("不能是连着的数字或字母").waitFor();
    await row.locator("input[name=newPassword]").fill("shiqiao-2026");
    await row.getByRole("button", { name: "设置新密码" }).click();
    await row.getByText("已给王小华设好新密码").waitFor();
    await screenshot(staff, "accounts-staff-help");
    await page.locator("[data-ended=password-changed]").waitFor({ timeout: 10_000 });
    expect(
      (
        await web.stack.api("POST", "/api/v1/auth/login", {
          body: { username: "wang-xiaohua", password: "shiqiao-2026" },
        })
      ).status,
    ).toBe(200);
  });
});
