// First screen of the family path on a throttled 4G phone, and the JavaScript it downloads.
// Starts its own gateway (SQLite in a temporary folder, demo data, one camera online), then drives Debian's
// Chromium at 360×640 with CDP network throttling (150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up) and 4× CPU
// slowdown. Prints: bytes of JS on the wire, and times to the first screen, cold and from the service worker.
// Usage: npm run build:web && node --import tsx bench/web-first-screen.ts
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { chromium, type Page } from "playwright-core";
import { buildGateway } from "../gateway/src/app.ts";
import { readGatewayConfig } from "../gateway/src/config.ts";
import type { z } from "zod";
import { claimReply, loginReply } from "../protocol/http.ts";
import { deviceStatusTopic } from "../protocol/topics.ts";

const profile = { latencyMs: 150, downKbps: 1600, upKbps: 750, cpuSlowdown: 4 };
const password = "bench-password-123";

if (!existsSync("web/dist/index.html")) throw new Error("build the app first: npm run build:web");
const dir = mkdtempSync(join(tmpdir(), "wx-bench-web-"));
const databaseUrl = `file:${join(dir, "bench.db")}`;
execFileSync("node_modules/.bin/prisma", ["migrate", "deploy", "--config", "prisma/sqlite.config.ts"], {
  env: { ...process.env, DATABASE_URL: databaseUrl },
  stdio: "pipe",
});
const gateway = buildGateway(
  readGatewayConfig({
    HTTP_PORT: "0",
    MQTT_PORT: "0",
    HTTP_HOST: "127.0.0.1",
    MQTT_HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "silent",
    WX_DEMO_PASSWORD: password,
  }),
);
const { httpPort, mqttPort, seed } = await gateway.start();
const base = `http://127.0.0.1:${httpPort}`;
const api = async <T = unknown>(method: string, path: string, body?: unknown, token?: string) => {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json() as Promise<T>;
};

// One camera installed and online, so the family's first screen is the real one.
const installer = (
  await api<z.infer<typeof loginReply>>("POST", "/api/v1/auth/login", { username: "installer", password })
).token;
const box = seed!.cameras[0]!;
await api(
  "POST",
  `/api/v1/households/${seed!.householdId}/devices`,
  { serial: box.serial, claimCode: box.claimCode, label: "堂屋" },
  installer,
);
const claim = await api<z.infer<typeof claimReply>>("POST", "/api/v1/devices/claim", {
  serial: box.serial,
  claimCode: box.claimCode,
});
const camera = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, {
  clientId: claim.deviceId,
  username: claim.deviceId,
  password: claim.mqttPassword,
  protocolVersion: 4,
});
await new Promise<void>((resolve) =>
  camera.once("connect", () =>
    camera.publish(
      deviceStatusTopic(claim.deviceId),
      JSON.stringify({ state: "online", at: new Date().toISOString(), firmware: "1.0.0" }),
      { qos: 1, retain: true },
      () => resolve(),
    ),
  ),
);
const family = await api<z.infer<typeof loginReply>>("POST", "/api/v1/auth/login", { username: "family", password });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});

/** Milliseconds from navigation start to the camera card (the family's first screen), and to first paint. */
async function firstScreen(p: Page): Promise<{ cameraCardMs: number; firstContentfulPaintMs: number }> {
  await p.goto("/family", { waitUntil: "commit" });
  await p.locator("[data-device] .badge[data-state=online]").waitFor({ timeout: 60_000 });
  return p.evaluate(() => ({
    cameraCardMs: Math.round(performance.now()),
    firstContentfulPaintMs: Math.round(performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN),
  }));
}

/** One phone: a fresh profile (empty cache), throttled; a cold visit, then a repeat visit from the service worker. */
async function onePhone() {
  const context = await browser.newContext({
    viewport: { width: 360, height: 640 },
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
    baseURL: base,
  });
  await context.addInitScript((session) => localStorage.setItem("wx.session", session), JSON.stringify(family));
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: profile.latencyMs,
    downloadThroughput: (profile.downKbps * 1000) / 8,
    uploadThroughput: (profile.upKbps * 1000) / 8,
  });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: profile.cpuSlowdown });
  const scripts = new Map<string, { url: string; bytes: number; encoding: string }>();
  cdp.on("Network.responseReceived", (e) => {
    if (e.type === "Script")
      scripts.set(e.requestId, {
        url: e.response.url,
        bytes: 0,
        encoding: String(e.response.headers["content-encoding"] ?? e.response.headers["Content-Encoding"] ?? "none"),
      });
  });
  cdp.on("Network.loadingFinished", (e) => {
    const s = scripts.get(e.requestId);
    if (s) s.bytes = e.encodedDataLength;
  });
  const cold = await firstScreen(page);
  const coldScripts = [...scripts.values()];
  await page.evaluate(() => navigator.serviceWorker.ready);
  const warm = await firstScreen(page);
  await context.close();
  return { cold, warm, coldScripts };
}

const runs = [];
for (let i = 0; i < 5; i++) runs.push(await onePhone());
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const scripts = runs[0]!.coldScripts;
console.log(
  `profile: ${profile.latencyMs} ms RTT, ${profile.downKbps} kbit/s down, ${profile.upKbps} kbit/s up, CPU ${profile.cpuSlowdown}× slower; viewport 360×640; median of ${runs.length} fresh phones`,
);
console.log(`family path JavaScript on the wire: ${kb(scripts.reduce((n, s) => n + s.bytes, 0))}`);
for (const s of scripts) console.log(`  ${new URL(s.url).pathname}  ${kb(s.bytes)} (${s.encoding})`);
console.log(
  `cold load (empty cache): first paint ${median(runs.map((r) => r.cold.firstContentfulPaintMs))} ms, camera list with live state ${median(runs.map((r) => r.cold.cameraCardMs))} ms`,
);
console.log(
  `repeat visit (service worker shell): first paint ${median(runs.map((r) => r.warm.firstContentfulPaintMs))} ms, camera list ${median(runs.map((r) => r.warm.cameraCardMs))} ms`,
);

await browser.close();
camera.end(true);
await gateway.stop();
rmSync(dir, { recursive: true, force: true });
