// Browser-test helpers for the web app: Debian's Chromium at a phone's size, a built web/dist, screenshots,
// and a home whose simulated camera streams for live-view tests.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createCamera, type Camera } from "../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../firmware-sim/src/credentials-store.ts";
import { startStack, waitFor, type Stack } from "./helpers/stack.ts";

export const chromiumPath = "/usr/bin/chromium";
export const hasChromium = existsSync(chromiumPath);
export const chromiumArgs = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
];
export const phone = { width: 360, height: 640 };
const screenshotDir = join(process.cwd(), "test-results");

/** `npm install` builds the app; a checkout that skipped its scripts gets the build here, once. */
export function ensureWebBuild(): void {
  if (existsSync(join(process.cwd(), "web", "dist", "index.html"))) return;
  execFileSync("npm", ["run", "build:web"], { stdio: "pipe" });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/** A fresh phone-sized profile (its own storage: signed out, Chinese) on the stack's origin. */
export async function phoneContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({ viewport: phone, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: "zh-CN", baseURL });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.evaluate(() => scrollTo(0, 0)); // the sticky header is drawn where the page is scrolled to
  await page.screenshot({ path, fullPage: true });
  return path;
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
}

export interface StreamingHome {
  stack: Stack;
  camera: Camera;
  deviceId: string;
  stop(): Promise<void>;
}

/** A stack with the relay on and the demo household's first camera simulated: it claims, connects, and streams when asked. */
export async function startStreamingHome(env: Record<string, string> = {}): Promise<StreamingHome> {
  const stack = await startStack({ RELAY_ENABLED: "1", RELAY_WORKERS: "1", RELAY_HOST_ADDRESSES: "127.0.0.1", STREAM_STOP_GRACE_S: "1", ...env });
  const installer = await stack.login("installer");
  const box = stack.seed.cameras[0]!;
  const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, { token: installer, body: { serial: box.serial, claimCode: box.claimCode, label: "堂屋" } });
  const deviceId = bound.body.id as string;
  const stateDir = mkdtempSync(join(tmpdir(), "wx-web-sim-"));
  const camera = createCamera({ serial: box.serial, claimCode: box.claimCode, gatewayUrl: stack.httpUrl, store: createCredentialsStore(stateDir), heartbeatIntervalS: 1, media: { hostAddresses: ["127.0.0.1"] } });
  await camera.start();
  await waitFor("camera online", async () => (await stack.db.device.findUnique({ where: { id: deviceId } }))?.connection === "online");
  return {
    stack, camera, deviceId,
    async stop() {
      await camera.stop();
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** ICE runs over loopback in tests; Chromium leaves loopback out of ICE unless told. */
export async function launchBrowserForMedia(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, "--allow-loopback-in-peer-connection"] });
}

export async function videoWidth(page: Page): Promise<number> {
  return page.evaluate(() => (document.querySelector(".video-frame video") as HTMLVideoElement | null)?.videoWidth ?? 0);
}

export async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(() => {
    const video = document.querySelector(".video-frame video") as HTMLVideoElement | null;
    return video?.getVideoPlaybackQuality().totalVideoFrames ?? 0;
  });
}
