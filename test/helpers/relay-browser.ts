// Browser-test helpers: Chromium flags, the viewer page's own metrics, and its WebRTC stats.
import type { Page } from "playwright-core";
import { toolInstalled } from "./tools.ts";
import { expect } from "vitest";

export const chromiumPath = "/usr/bin/chromium";
export const hasChromium = toolInstalled("chromium");

export const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  // Our ICE is loopback-only on test machines; Chromium leaves loopback out of ICE unless told.
  "--allow-loopback-in-peer-connection",
];

export interface ViewerMetrics {
  tapAt: number | null;
  offerAt: number | null;
  relayMs: number | null;
  answerAt: number | null;
  connectedAt: number | null;
  firstFrameAt: number | null;
  error: string | null;
}

export async function inboundStats(
  page: Page,
): Promise<{ framesDecoded: number; videoWidth: number; audioPackets: number }> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { wangxiang: { pc: RTCPeerConnection } }).wangxiang.pc;
    let framesDecoded = 0;
    let audioPackets = 0;
    (await pc.getStats()).forEach((report) => {
      if (report.type !== "inbound-rtp") return;
      if (report.kind === "video") framesDecoded = report.framesDecoded ?? 0;
      if (report.kind === "audio") audioPackets = report.packetsReceived ?? 0;
    });
    return {
      framesDecoded,
      audioPackets,
      videoWidth: (document.getElementById("video") as HTMLVideoElement).videoWidth,
    };
  });
}

export async function tapWatchAndWaitForPicture(page: Page): Promise<ViewerMetrics> {
  await page.click("#watch");
  await page.waitForFunction(
    () =>
      (window as unknown as { wangxiang: { metrics: ViewerMetrics } }).wangxiang.metrics.firstFrameAt !== null ||
      (window as unknown as { wangxiang: { metrics: ViewerMetrics } }).wangxiang.metrics.error !== null,
    undefined,
    { timeout: 15_000 },
  );
  const metrics = await page.evaluate(
    () => (window as unknown as { wangxiang: { metrics: ViewerMetrics } }).wangxiang.metrics,
  );
  expect(metrics.error).toBeNull();
  return metrics;
}

const since = (m: ViewerMetrics, at: number | null) =>
  at === null || m.tapAt === null ? "n/a" : `${(at - m.tapAt).toFixed(0)} ms`;
export const describeTimings = (label: string, m: ViewerMetrics) =>
  `${label}: tap → offer gathered ${since(m, m.offerAt)}, relay answered in ${m.relayMs?.toFixed(0)} ms, tap → WHEP answer ${since(m, m.answerAt)}, → ICE+DTLS connected ${since(m, m.connectedAt)}, → first decoded frame ${since(m, m.firstFrameAt)}`;
