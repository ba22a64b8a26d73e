// Issue 12 flow (c) in Chromium at 360×640, zh-CN: the family's camera list shows a fresh still from the
// simulated camera with the time it was taken; switching privacy mode on hides it at once.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCamera, type Camera } from "../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../device-client/src/credentials-store.ts";
import { demoPassword, startStack, waitFor, type Stack } from "./helpers/stack.ts";
import { ensureWebBuild, hasChromium, launchBrowser, phoneContext, screenshot, signIn } from "./web-browser.ts";

/** What the tile's image really is: decoded pixels, and a blob URL (no token in any image URL). */
async function tileImage(page: Page, deviceId: string) {
  return page.locator(`[data-device="${deviceId}"] .snapshot img`).evaluate((img: HTMLImageElement) => ({
    naturalWidth: img.naturalWidth,
    naturalHeight: img.naturalHeight,
    complete: img.complete,
    src: img.src,
  }));
}

describe.skipIf(!hasChromium)("web app: family camera list with snapshots", () => {
  let stack: Stack;
  let browser: Browser;
  let camera: Camera;
  let deviceId: string;
  let stateDir: string;

  beforeAll(async () => {
    ensureWebBuild();
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    const installer = await stack.login("installer");
    const box = stack.seed.cameras[0]!;
    const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
      token: installer,
      body: { serial: box.serial, claimCode: box.claimCode, label: "堂屋" },
    });
    deviceId = bound.body.id;
    stateDir = await mkdtemp(join(tmpdir(), "wx-sim-"));
    camera = createCamera({
      serial: box.serial,
      claimCode: box.claimCode,
      gatewayUrl: stack.httpUrl,
      store: createCredentialsStore(stateDir),
      heartbeatIntervalS: 1,
    });
    await camera.start();
    await waitFor(
      "camera online",
      async () => (await stack.db.device.findUnique({ where: { id: deviceId } }))?.connection === "online",
    );
  }, 90_000);

  afterAll(async () => {
    await camera?.stop();
    await browser?.close();
    await stack?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it("shows a fresh still with its time as soon as the camera posts it, and hides it in privacy mode", async () => {
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    const imageResponses: number[] = [];
    page.on("response", (response) => {
      if (response.url().endsWith("/snapshots/latest.jpg")) imageResponses.push(response.status());
    });
    await signIn(page, "family", demoPassword);
    await page.waitForURL("**/family");
    const card = page.locator(`[data-device="${deviceId}"]`);
    await card.locator('.badge[data-state="online"]').waitFor({ timeout: 15_000 });
    expect(await card.textContent()).toContain("暂无画面预览");

    // The family asks for a still (as the device view's button does); the open list gets it over the live socket.
    const family = await stack.login("family");
    const taken = await stack.api("POST", `/api/v1/devices/${deviceId}/snapshots`, { token: family });
    expect(taken.status).toBe(201);
    await card.locator(`[data-snapshot="${taken.body.id}"] img`).waitFor({ timeout: 15_000 });
    await page.waitForFunction(
      (id) => (document.querySelector(`[data-device="${id}"] .snapshot img`) as HTMLImageElement | null)?.naturalWidth,
      deviceId,
    );
    const image = await tileImage(page, deviceId);
    expect(image).toMatchObject({ naturalWidth: 640, naturalHeight: 360, complete: true });
    expect(image.src).toMatch(/^blob:/);
    expect(imageResponses).toContain(200);
    const caption = (await card.locator(".snapshot figcaption").textContent())!;
    expect(caption).toMatch(/拍摄$/);
    expect(caption).toMatch(/现在|秒|分钟/);
    const shown = await screenshot(page, "web-family-snapshot");
    expect(shown).toMatch(/web-family-snapshot\.png$/);

    const privacy = await stack.api("POST", `/api/v1/devices/${deviceId}/commands`, {
      token: family,
      body: { name: "privacy", params: { enabled: true } },
    });
    expect(privacy.body.status).toBe("succeeded");
    await card.locator('[data-snapshot="none"]').waitFor({ timeout: 15_000 });
    expect(await card.locator("img").count()).toBe(0);
    expect(await card.textContent()).toContain("画面已隐藏");
    await screenshot(page, "web-family-snapshot-privacy");

    // A reload in privacy mode does not show it either (the server refuses it, not only the page).
    await page.reload();
    await card.locator('[data-snapshot="none"]').waitFor({ timeout: 15_000 });
    expect(await card.locator("img").count()).toBe(0);
    await context.close();
  }, 90_000);

  it("staff see the still in the device view and take a new one with its button", async () => {
    const family = await stack.login("family");
    const off = await stack.api("POST", `/api/v1/devices/${deviceId}/commands`, {
      token: family,
      body: { name: "privacy", params: { enabled: false } },
    });
    expect(off.body.status).toBe("succeeded");
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "staff", demoPassword);
    await page.waitForURL("**/staff**");
    await page.goto(`/staff/device/${deviceId}`);
    const panel = page.getByTestId("snapshot-panel");
    await panel.locator("img").waitFor({ timeout: 15_000 });
    const before = await stack.db.snapshot.count({ where: { deviceId } });
    await panel.getByRole("button", { name: "拍一张新的" }).click();
    await waitFor(
      "the new still stored",
      async () => (await stack.db.snapshot.count({ where: { deviceId } })) > before,
    );
    const newest = await stack.db.snapshot.findFirst({ where: { deviceId }, orderBy: { takenAt: "desc" } });
    expect(newest).toMatchObject({ reason: "request", width: 640, height: 360 });
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="snapshot-panel"] img') as HTMLImageElement | null)?.naturalWidth,
    );
    expect(await panel.textContent()).toContain("拍摄时间");
    await panel.getByRole("button", { name: "拍一张新的" }).waitFor();
    await screenshot(page, "web-staff-device-snapshot");
    await context.close();
  }, 90_000);
});
