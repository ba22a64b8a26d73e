// County staff on a phone: the fleet console sees a camera lose power (its TCP connection just dies), the
// offline alert arrives live, and staff acknowledge it; the camera's page shows its history.
import type { MqttClient } from "mqtt";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceEventsTopic, deviceTelemetryTopic } from "../protocol/topics.ts";
import { connectAsDevice, demoPassword, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";
import { ensureWebBuild, hasChromium, launchBrowser, phoneContext, screenshot, signIn } from "./web-browser.ts";

describe.skipIf(!hasChromium)("web app: staff", () => {
  let stack: Stack;
  let browser: Browser;
  let camera: MqttClient;
  let camera2: MqttClient;
  let device: { deviceId: string; serial: string };

  beforeAll(async () => {
    ensureWebBuild();
    [stack, browser] = await Promise.all([
      startStack({ OFFLINE_ALERT_AFTER_S: "0.5", ALERT_CHECK_INTERVAL_S: "0.2", NEVER_ONLINE_ALERT_AFTER_S: "0.5" }),
      launchBrowser(),
    ]);
    const installed = await installDemoCamera(stack, 0);
    device = installed;
    camera = await connectAsDevice(stack, installed.deviceId, installed.password);
    const other = await installDemoCamera(stack, 1);
    camera2 = await connectAsDevice(stack, other.deviceId, other.password);
  }, 60_000);
  afterAll(async () => {
    camera?.end(true);
    camera2?.end(true);
    await browser?.close();
    await stack?.stop();
  });

  it("sees a power-loss alert arrive live and acknowledges it", async () => {
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "staff", demoPassword);
    await page.waitForURL("**/staff");
    await page.getByText("没有未处理的告警").waitFor();
    expect(await page.textContent("[data-testid=online-count]")).toBe("2");

    camera.stream.destroy(); // power cut: no goodbye, the broker notices by keepalive and publishes the will
    const alert = page.locator(".alert", { hasText: device.serial });
    await alert.waitFor({ timeout: 15_000 });
    await page.locator("[data-testid=offline-count]", { hasText: "1" }).waitFor({ timeout: 5000 });
    await page.locator("ol.list", { hasText: device.serial }).waitFor();
    await alert.getByRole("button", { name: "确认，我来处理" }).click();
    await alert.getByText("县服务中心 值班员 已确认").waitFor();
    await screenshot(page, "web-staff-alert-acknowledged");

    const text = await page.textContent("main");
    for (const expected of [
      "告警",
      device.serial,
      "县服务中心 值班员 已确认",
      "黄兴容的家",
      "13800000000",
      "离线最久的摄像头",
      "已离线",
      "各村在线情况",
      "青平镇普仁村",
    ])
      expect(text).toContain(expected);
    const stored = await stack.db.alert.findFirst({ where: { deviceId: device.deviceId } });
    expect(stored?.acknowledgedBy).toBe("staff");

    await alert.getByRole("link", { name: device.serial }).click();
    await page.waitForURL(`**/staff/device/${device.deviceId}`);
    await page.locator(".chart canvas").first().waitFor({ timeout: 10_000 });
    await screenshot(page, "web-staff-device");
    const detail = await page.textContent("main");
    for (const expected of ["离线", "在线率", "在线状态（24 小时）", "心跳记录", "远程操作", "重启", "固件升级"])
      expect(detail).toContain(expected);
    await context.close();
  }, 60_000);

  it("a bridged camera unreachable behind an online bridge: the alert and the camera's page say 摄像头连不上; wired, it shows 有线 rather than a signal", async () => {
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "staff", demoPassword);
    await page.waitForURL("**/staff");
    const bridged = (await stack.db.device.findFirst({ where: { serial: stack.seed.cameras[1]!.serial } }))!;
    const event = { type: "camera-health", at: new Date().toISOString(), state: "unreachable", detail: "no TCP" };
    await camera2.publishAsync(deviceEventsTopic(bridged.id), JSON.stringify(event), { qos: 1 });
    // The bridge's heartbeat for a camera on Ethernet: no radio, so no signal reading.
    const beat = { at: new Date().toISOString(), uptimeS: 60, rssi: null, temperatureC: 48.5, firmware: "bridge-1" };
    await camera2.publishAsync(
      deviceTelemetryTopic(bridged.id),
      JSON.stringify({ ...beat, freeStorageMb: 900, privacy: false }),
      { qos: 1 },
    );
    const alert = page.locator(".alert", { hasText: bridged.serial });
    await alert.getByText("摄像头连不上").waitFor({ timeout: 15_000 });
    await waitFor("the heartbeat stored", () =>
      stack.db.telemetrySample.findFirst({ where: { deviceId: bridged.id } }),
    );
    await screenshot(page, "web-staff-camera-unreachable-alert");
    await alert.getByRole("link", { name: bridged.serial }).click();
    await page.waitForURL(`**/staff/device/${bridged.id}`);
    await page.locator("[data-camera-health=unreachable]").waitFor();
    await screenshot(page, "web-staff-camera-unreachable-device");
    const detail = await page.textContent("main");
    for (const expected of ["网桥后的摄像头", "网桥在线，但摄像头连不上", "在线", "对讲", "有线 · 48.5 °C"])
      expect(detail).toContain(expected);
    expect(detail).not.toMatch(/dBm|很好|一般|差（/); // no signal reading of any kind, in the card or the heartbeat rows
    await context.close();
  }, 30_000);

  it("exports the device list as CSV", async () => {
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "staff", demoPassword);
    await page.waitForURL("**/staff");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "导出设备清单 (CSV)" }).click(),
    ]);
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
    const csv = Buffer.concat(chunks).toString("utf8");
    expect(download.suggestedFilename()).toMatch(/^望乡设备清单-\d{4}-\d{2}-\d{2}\.csv$/);
    // UTF-8 with a byte-order mark (Excel on Windows reads it as Chinese), Chinese headers and values.
    expect(csv.startsWith("\uFEFF序列号,村,老人,位置,状态,最后在线,")).toBe(true);
    expect(csv.trim().split("\r\n")).toHaveLength(1 + stack.seed.cameras.length);
    expect(csv).toMatch(
      new RegExp(`${device.serial},青平镇普仁村,黄兴容,,(在线|离线),\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2},`),
    );
    expect(csv).toContain(",否,");
    expect(csv).toContain(",已激活,");
    expect(csv).toContain(",未激活,");
    await context.close();
  }, 30_000);

  it("sees a box bound but never online, and reaches any camera in two taps: village, or a search", async () => {
    const installer = await stack.login("installer");
    const box = stack.seed.cameras[2]!;
    const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
      token: installer,
      body: { serial: box.serial, claimCode: box.claimCode },
    });
    expect(bound.status).toBe(200);
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "staff", demoPassword);
    await page.waitForURL("**/staff");
    // The installation that failed: its own count, its own alert, with whose home it is and whom to call.
    const alert = page.locator('.alert[data-kind="never-online"]', { hasText: box.serial });
    await alert.waitFor({ timeout: 15_000 });
    for (const expected of ["装好后未上线", "黄兴容的家", "13800000000"])
      expect(await alert.textContent()).toContain(expected);
    expect(await alert.locator('a[href^="tel:"]').getAttribute("href")).toBe("tel:13800000000");
    await page.locator("[data-testid=never-online-count]", { hasText: "1" }).waitFor();
    expect(await page.locator('[data-village="青平镇普仁村"]').textContent()).toContain("从未上线 1 台");

    await page.locator('[data-village="青平镇普仁村"]').click();
    await page.waitForURL("**/staff/village/**");
    await page.locator(`a[data-device="${device.deviceId}"]`).click();
    await page.waitForURL(`**/staff/device/${device.deviceId}`);

    await page.goto("/staff");
    await page.fill("input[name=q]", box.serial.toLowerCase());
    await page.locator(`a[data-device="${bound.body.id}"]`).waitFor();
    await page.fill("input[name=q]", "黄兴容");
    await page.locator(`a[data-device="${device.deviceId}"]`).first().waitFor();
    await page.waitForURL(`**/staff?q=${encodeURIComponent("黄兴容")}`);
    await screenshot(page, "web-staff-search");
    await context.close();
  }, 60_000);
});
