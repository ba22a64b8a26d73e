// The family's live view on a weak network, in the app: the phone's path to the relay breaks (Wi-Fi to 4G)
// and the picture comes back by itself without a reload; the downlink gets too thin for video and the app
// says it is playing sound only (the relay paused the video), then shows pictures again when the cell recovers.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { demoPassword, waitFor } from "./helpers/stack.ts";
import { routeViewerThroughWeakNetwork } from "./relay-netem.ts";
import { browserAndHome, framesDecoded, hasChromium, phoneContext, screenshot, signIn } from "./web-browser.ts";

/** Every text the live-state line shows from now on, however briefly (a MutationObserver in the page). */
async function recordStatusLine(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { statusLines: string[] }).statusLines = seen;
    const frame = document.querySelector(".video-frame")!;
    const note = () => seen.push(frame.querySelector(".live-state")?.textContent ?? "");
    new MutationObserver(note).observe(frame, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  });
  return () => page.evaluate(() => (window as unknown as { statusLines: string[] }).statusLines);
}

describe.skipIf(!hasChromium)("web app: live view on a weak network", () => {
  const web = browserAndHome();

  const framesGrow = async (page: Page, by: number, timeoutMs: number) => {
    const start = await framesDecoded(page);
    await waitFor(`${by} more frames`, async () => (await framesDecoded(page)) - start >= by, timeoutMs, 100);
  };
  const watching = async () => {
    const context = await phoneContext(web.browser, web.home.stack.httpUrl);
    const page = await context.newPage();
    const network = await routeViewerThroughWeakNetwork(page);
    await signIn(page, "family", demoPassword);
    await page.locator(`[data-device="${web.home.deviceId}"]`).click();
    await page.evaluate(() => {
      (window as unknown as { loadedOnce: boolean }).loadedOnce = true;
    });
    await page.getByRole("button", { name: "开始观看" }).click();
    await page.getByText("直播中").waitFor({ timeout: 20_000 });
    await framesGrow(page, 10, 10_000);
    return { context, page, network };
  };

  it("comes back by itself when the path breaks, without a reload", async () => {
    const { context, page, network } = await watching();
    const linksBefore = network.links.length;
    const shown = await recordStatusLine(page);
    network.setShape({ blackhole: true });
    // On a quick machine the new session is up within half a second: the line is recorded, not polled for.
    await waitFor(
      "the page says it is recovering",
      async () => (await shown()).some((l) => l.includes("网络不稳，正在恢复…")),
      15_000,
    );
    await waitFor("a new WHEP session on a new path", () => network.links.length > linksBefore, 20_000);
    await page.getByText("直播中").waitFor({ timeout: 15_000 });
    await framesGrow(page, 20, 10_000);
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    network.close();
    await context.close();
  }, 60_000);

  it("says it plays sound only while the relay holds back video, and shows pictures again after", async () => {
    const { context, page, network } = await watching();
    network.setShape({ downKbps: 150, queueMs: 300 }, true); // a weak cell: the camera's video is ~400 kbit/s
    await page.getByText("网络较差，暂时只播放声音").waitFor({ timeout: 20_000 });
    await screenshot(page, "web-family-audio-only");
    network.setShape({}, true);
    await page.getByText("网络较差，暂时只播放声音").waitFor({ state: "detached", timeout: 45_000 });
    await framesGrow(page, 25, 10_000);
    network.close();
    await context.close();
  }, 90_000);
});
