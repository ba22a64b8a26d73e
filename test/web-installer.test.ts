// Installer on a phone: signs in, creates a household, adds a camera by typing its serial and claim code,
// and watches it come online when the camera (simulated) claims and connects.
import type { MqttClient } from "mqtt";

import { afterAll, describe, expect, it } from "vitest";
import { connectAsDevice, demoPassword } from "./helpers/stack.ts";
import { browserAndStack, hasChromium, phoneContext, screenshot, signIn } from "./web-browser.ts";

describe.skipIf(!hasChromium)("web app: installer", () => {
  const web = browserAndStack();
  let camera: MqttClient | undefined;
  afterAll(async () => {
    camera?.end(true);
  });

  it("creates a household, adds a camera by typed code and sees it come online", async () => {
    const context = await phoneContext(web.browser, web.stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "installer", demoPassword);
    await page.waitForURL("**/installer");
    await page.getByRole("button", { name: "新建家庭" }).click();
    await page.fill("input[name=village]", "青平镇石桥村");
    await page.fill("input[name=elderName]", "王秀英");
    await page.fill("input[name=contactPhone]", "13900000009");
    await page.getByRole("button", { name: "保存" }).click();
    await page.waitForURL("**/installer/household/**");
    await page.getByRole("heading", { name: "王秀英" }).waitFor();

    const box = web.stack.seed.cameras[0]!;
    await page.fill("input[name=serial]", box.serial.toLowerCase()); // typed in a hurry: the schema upper-cases it
    await page.fill("input[name=claimCode]", box.claimCode);
    await page.fill("input[name=label]", "堂屋");
    await page.getByRole("button", { name: "绑定到这个家" }).click();
    const card = page.locator(`[data-serial="${box.serial}"]`);
    await card.getByText("已绑定。请给摄像头通电").waitFor();
    await page.getByTestId("bind-outcome").getByText(`已绑定：堂屋（${box.serial}），装在王秀英的家`).waitFor();
    expect(await card.locator(".badge").getAttribute("data-state")).toBe("unknown");

    // The camera is powered on: it claims its credentials and connects; the page hears it over the live socket.
    const claimed = await web.stack.api("POST", "/api/v1/devices/claim", {
      body: { serial: box.serial, claimCode: box.claimCode },
    });
    expect(claimed.status).toBe(200);
    camera = await connectAsDevice(web.stack, claimed.body.deviceId, claimed.body.mqttPassword);
    await card.getByText("摄像头已上线 ✓").waitFor({ timeout: 10_000 });
    expect(await card.locator(".badge").getAttribute("data-state")).toBe("online");

    await screenshot(page, "web-installer-camera-online");
    const text = await page.textContent("main");
    expect(text).toContain("堂屋");
    expect(text).toContain("在线");
    expect(text).toContain("摄像头已上线");
    const household = await web.stack.db.household.findFirst({
      where: { elderName: "王秀英" },
      include: { devices: true },
    });
    expect(household?.devices.map((d) => d.serial)).toEqual([box.serial]);

    // Named wrong on the spot (or not at all): renamed from the card, and the new name is the camera's everywhere.
    await card.getByRole("button", { name: "改名" }).click();
    await card.locator("input[name=cameraName]").fill("东屋");
    await card.getByRole("button", { name: "保存" }).click();
    await card.getByTestId("camera-name").getByText("东屋").waitFor();
    await card.locator("strong", { hasText: "东屋" }).waitFor();
    const renamed = await web.stack.db.device.findUniqueOrThrow({ where: { serial: box.serial } });
    expect(renamed.label).toBe("东屋");
    await screenshot(page, "web-installer-camera-renamed");
    await context.close();
  }, 60_000);
});
