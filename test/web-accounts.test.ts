// Accounts in the browser: staff create an installer and disable a family account from the accounts screen; the
// family member's open app is signed out at once and told why; a user changes their own password.
import { describe, expect, it } from "vitest";
import { demoPassword, waitFor } from "./helpers/stack.ts";
import { browserAndStack, hasChromium, phoneContext, screenshot, signIn } from "./web-browser.ts";

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
});
