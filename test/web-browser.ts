// Browser-test helpers for the web app: Debian's Chromium at a phone's size, a built web/dist, screenshots,
// and a home whose simulated camera streams for live-view tests.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { toolInstalled } from "./helpers/tools.ts";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { startStack, waitFor, type Stack } from "./helpers/stack.ts";
import { startStreamingHousehold, type StreamingHousehold } from "./helpers/streaming-household.ts";

export const chromiumPath = "/usr/bin/chromium";
export const hasChromium = toolInstalled("chromium");
export const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
];
export const phone = { width: 360, height: 640 };
const screenshotDir = join(process.cwd(), "test-results");

/** The newest modification time under these paths (files, or folders walked through). */
function newestChange(paths: string[]): number {
  let newest = 0;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if (!stat.isDirectory()) newest = Math.max(newest, stat.mtimeMs);
    else newest = Math.max(newest, newestChange(readdirSync(path).map((name) => join(path, name))));
  }
  return newest;
}

// What the build reads: the app, its static files and config, and the protocol modules it imports.
const webSources = ["web/src", "web/public", "web/index.html", "web/vite.config.ts", "web/precompress.ts", "protocol"];

/**
 * `npm install` builds the app, but a checkout edited since then has a stale web/dist: the browser tests would
 * pass or fail on old code. Built again when any source is newer than the build (a stat walk: milliseconds).
 */
export function ensureWebBuild(): void {
  const built = join(process.cwd(), "web", "dist", "index.html");
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  if (builtAt > newestChange(webSources.map((p) => join(process.cwd(), p)))) return;
  // vitest sets NODE_ENV=test, under which Vite would build Preact's development bundle (a third larger).
  execFileSync("npm", ["run", "build:web"], { stdio: "pipe", env: { ...process.env, NODE_ENV: "production" } });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/** A fresh phone-sized profile (its own storage: signed out, Chinese) on the stack's origin. */
export async function phoneContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({
    viewport: phone,
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
    baseURL,
  });
}

/** The whole page (from the top), or with `fullPage` false what the phone's screen shows where it is scrolled. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  if (fullPage) await page.evaluate(() => scrollTo(0, 0)); // the sticky header is drawn where the page is scrolled to
  await page.screenshot({ path, fullPage });
  return path;
}

/**
 * Waits until the service worker's runtime cache (`wx-role-chunks`, web/vite.config.ts) holds an asset whose URL
 * contains each of `names`. Polled from here: `page.waitForFunction` does not await an async predicate, so one
 * that reads the Cache API returns at once, whatever the cache holds.
 */
export async function waitForCachedAssets(page: Page, names: string[], timeoutMs = 20_000): Promise<void> {
  const cached = () =>
    page.evaluate(async (wanted) => {
      const urls = (await (await caches.open("wx-role-chunks")).keys()).map((request) => request.url);
      return wanted.every((name) => urls.some((url) => url.includes(name)));
    }, names);
  await waitFor(`${names.join(", ")} in the service worker's cache`, cached, timeoutMs);
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
}

export type StreamingHome = StreamingHousehold;

/** A stack with the relay on and the demo household's first camera simulated: it claims, connects, and streams when asked. */
export function startStreamingHome(env: Record<string, string> = {}): Promise<StreamingHome> {
  return startStreamingHousehold({ STREAM_STOP_GRACE_S: "1", ...env });
}

/** ICE runs over loopback in tests; Chromium leaves loopback out of ICE unless told. */
export async function launchBrowserForMedia(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs, "--allow-loopback-in-peer-connection"],
  });
}

export async function videoWidth(page: Page): Promise<number> {
  return page.evaluate(
    () => (document.querySelector(".video-frame video") as HTMLVideoElement | null)?.videoWidth ?? 0,
  );
}

export async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(() => {
    const video = document.querySelector(".video-frame video") as HTMLVideoElement | null;
    return video?.getVideoPlaybackQuality().totalVideoFrames ?? 0;
  });
}

/**
 * One server and one browser for a describe block's tests, started together before them (web/dist checked first)
 * and closed after them. Read them inside hooks and tests: they exist once the block's beforeAll has run.
 */
function browserWith<T extends { stop(): Promise<void> }>(
  start: () => Promise<T>,
  launch: () => Promise<Browser>,
): { readonly server: T; readonly browser: Browser } {
  const parts: { server?: T; browser?: Browser } = {};
  beforeAll(async () => {
    ensureWebBuild();
    [parts.server, parts.browser] = await Promise.all([start(), launch()]);
  }, 60_000);
  afterAll(async () => {
    await parts.browser?.close();
    await parts.server?.stop();
  });
  return {
    get server() {
      return parts.server!;
    },
    get browser() {
      return parts.browser!;
    },
  };
}

/** A whole stack (startStack) and a phone browser for the block. */
export function browserAndStack(start: () => Promise<Stack> = () => startStack()) {
  const parts = browserWith(start, launchBrowser);
  return {
    get stack() {
      return parts.server;
    },
    get browser() {
      return parts.browser;
    },
  };
}

/** A streaming home (startStreamingHome) and a browser for the block; media tests launch one that allows loopback ICE. */
export function browserAndHome(start: () => Promise<StreamingHome> = () => startStreamingHome(), media = true) {
  const parts = browserWith(start, media ? launchBrowserForMedia : launchBrowser);
  return {
    get home() {
      return parts.server;
    },
    get browser() {
      return parts.browser;
    },
  };
}
