// Live-view benchmark (npm run bench:live-view), loopback only, a few minutes:
//  (a) tap → first decoded frame in headless Chromium through the real gateway (grant, WHEP, relay,
//      camera over MQTT), for a camera already streaming (warm) and one started on demand (cold);
//  (b) glass-to-glass: the camera's send time of each video frame vs the time Chromium expects to show
//      it (requestVideoFrameCallback), matched through the RTP timestamps;
//  (c) relay worker CPU per forwarded stream for 1, 10 and 50 werift viewers in other processes;
//  (d) the same viewer load against Janus's streaming plugin fed the same RTP, for a CPU ratio.
// Prints a table and writes bench/results/live-view-<date>.json.
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { createDatabase } from "../core/database.ts";
import { createCamera, type Camera } from "../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../firmware-sim/src/credentials-store.ts";
import { startCameraStream } from "../firmware-sim/src/media/camera-stream.ts";
import { buildGateway } from "../gateway/src/app.ts";
import { readGatewayConfig } from "../gateway/src/config.ts";
import { PUBLISH_TOKEN, serveViewer, startRelayStack } from "../test/relay-stack.ts";
import { startJanus } from "./live-view-janus.ts";
import type { ViewerJob, ViewerReport } from "./live-view-viewers.ts";
import { distribution, type Distribution } from "./stats.ts";

const TRIES = Number(process.env.BENCH_TRIES ?? 20);
const CPU_WINDOW_MS = Number(process.env.BENCH_CPU_WINDOW_S ?? 10) * 1000;
const VIEWER_COUNTS = (process.env.BENCH_VIEWERS ?? "1,10,50").split(",").map(Number);
const VIEWERS_PER_PROCESS = 25;
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
];
const root = process.cwd();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (d: Distribution) => ({
  count: d.count,
  p50: +d.p50.toFixed(1),
  p95: +d.p95.toFixed(1),
  max: +d.max.toFixed(1),
  mean: +d.mean.toFixed(1),
});

async function until<T>(
  what: string,
  probe: () => Promise<T | null | false | undefined> | T | null | false | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface PageMetrics {
  tapAt: number;
  firstFrameAt: number | null;
  error: string | null;
  connectedAt: number | null;
  answerAt: number | null;
}
/** What the viewer page (web/viewer) exposes for tests and benchmarks. */
type ViewerPageWindow = Window & { wangxiang: { metrics: PageMetrics } };

/** Taps Watch and waits for the first decoded frame; returns the page's own timings. */
async function tapAndWait(page: Page): Promise<PageMetrics> {
  await page.click("#watch");
  await page.waitForFunction(
    () => {
      const m = (window as unknown as ViewerPageWindow).wangxiang.metrics;
      return m.firstFrameAt !== null || m.error !== null;
    },
    undefined,
    { timeout: 15_000 },
  );
  const metrics: PageMetrics = await page.evaluate(() => (window as unknown as ViewerPageWindow).wangxiang.metrics);
  if (metrics.error) throw new Error(`viewer page: ${metrics.error}`);
  return metrics;
}

// ── (a) tap → first frame through the real gateway ──────────────────────
async function tapToFirstFrame(browser: Browser) {
  const dataDir = join(root, "data", "bench");
  mkdirSync(dataDir, { recursive: true });
  const dbFile = join(dataDir, `live-view-${process.pid}.db`);
  const databaseUrl = `file:${dbFile}`;
  execFileSync(join(root, "node_modules/.bin/prisma"), ["migrate", "deploy", "--config", "prisma/sqlite.config.ts"], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: "pipe",
  });
  const password = "bench-password-123";
  const config = readGatewayConfig({
    HTTP_PORT: "0",
    MQTT_PORT: "0",
    HTTP_HOST: "127.0.0.1",
    MQTT_HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "silent",
    WX_DEMO_PASSWORD: password,
    HEARTBEAT_INTERVAL_S: "5",
    DEVICE_KEEPALIVE_S: "10",
    RELAY_ENABLED: "1",
    RELAY_WORKERS: "1",
    RELAY_HOST_ADDRESSES: "127.0.0.1",
    RELAY_RTC_PORT: "0",
    STREAM_STOP_GRACE_S: "1",
  });
  const db = createDatabase(databaseUrl);
  const gateway = buildGateway(config, { database: db });
  const started = await gateway.start();
  const httpUrl = `http://127.0.0.1:${started.httpPort}`;
  // The bench reads only the token of a login or grant and the id of a bound camera.
  const api = async (method: string, path: string, token?: string, body?: unknown) => {
    const reply = await fetch(httpUrl + path, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
    });
    return { status: reply.status, body: (await reply.json().catch(() => null)) as { token: string; id: string } };
  };
  const login = async (username: string) =>
    (await api("POST", "/api/v1/auth/login", undefined, { username, password })).body.token as string;
  const seed = started.seed!;
  const installer = await login("installer");
  const family = await login("family");
  const stateDir = mkdtempSync(join(tmpdir(), "wx-bench-sim-"));
  const cameras: { deviceId: string; camera: Camera }[] = [];
  for (const [i, label] of ["warm", "cold"].entries()) {
    const box = seed.cameras[i]!;
    const bound = await api("POST", `/api/v1/households/${seed.householdId}/devices`, installer, {
      serial: box.serial,
      claimCode: box.claimCode,
      label,
    });
    const camera = createCamera({
      serial: box.serial,
      claimCode: box.claimCode,
      gatewayUrl: httpUrl,
      store: createCredentialsStore(join(stateDir, label)),
      heartbeatIntervalS: 5,
      media: { hostAddresses: ["127.0.0.1"] },
    });
    await camera.start();
    cameras.push({ deviceId: bound.body.id, camera });
  }
  const grant = async (deviceId: string) =>
    until(`grant ${deviceId}`, async () => {
      const reply = await api("POST", `/api/v1/devices/${deviceId}/view`, family);
      return reply.status === 200 ? (reply.body.token as string) : null;
    });
  const openViewer = async (deviceId: string) => {
    const page = await browser.newPage();
    await page.goto(`${httpUrl}/viewer/#camera=${deviceId}&token=${encodeURIComponent(await grant(deviceId))}`);
    return page;
  };
  const timing = (m: PageMetrics) => ({
    firstFrame: m.firstFrameAt! - m.tapAt,
    answer: m.answerAt! - m.tapAt,
    connected: (m.connectedAt ?? NaN) - m.tapAt,
  });

  try {
    const [warm, cold] = cameras as [(typeof cameras)[0], (typeof cameras)[0]];
    // Warm: a first viewer keeps the camera streaming while each try opens a fresh page and taps.
    const keeper = await openViewer(warm.deviceId);
    await tapAndWait(keeper);
    const warmRuns = [];
    for (let i = 0; i < TRIES; i++) {
      const page = await openViewer(warm.deviceId);
      warmRuns.push(timing(await tapAndWait(page)));
      await page.close();
    }
    await keeper.close();
    // Cold: the camera is idle at each tap; the gateway sends stream-start over MQTT.
    const coldRuns = [];
    for (let i = 0; i < TRIES; i++) {
      await until("cold camera idle", () => !cold.camera.snapshot().media.streaming, 15_000);
      const page = await openViewer(cold.deviceId);
      coldRuns.push(timing(await tapAndWait(page)));
      await page.close();
    }
    return { warm: warmRuns, cold: coldRuns };
  } finally {
    for (const { camera } of cameras) await camera.stop().catch(() => {});
    await gateway.stop();
    await db.$disconnect();
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(dbFile + suffix, { force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

// ── (b) glass-to-glass ──────────────────────────────────────────────────
async function glassToGlass(browser: Browser) {
  const stack = await startRelayStack({ setup: serveViewer });
  const sentAt = new Map<number, number>(); // camera RTP timestamp → epoch ms the frame left the camera
  const camera = await startCameraStream({
    whipUrl: stack.whipUrl("cam-g2g"),
    token: PUBLISH_TOKEN,
    hostAddresses: ["127.0.0.1"],
    onVideoFrameSent: (timestamp, at) => {
      sentAt.set(timestamp, at);
      if (sentAt.size > 2000) sentAt.delete(sentAt.keys().next().value!);
    },
  });
  const toDisplay: number[] = [];
  const toReceive: number[] = [];
  const perTry: number[] = [];
  try {
    for (let i = 0; i < TRIES; i++) {
      const viewerId = `viewer-g2g-${i}`;
      const page = await browser.newPage();
      await page.goto(`${stack.baseUrl}/viewer/index.html#camera=cam-g2g&token=${viewerId}`);
      await tapAndWait(page);
      // A string, not a function: tsx would wrap named functions in a helper the page does not have.
      const frames = (await page.evaluate(`new Promise((resolve) => {
        const video = document.getElementById("video");
        const out = [];
        const end = performance.now() + 1500;
        const onFrame = (now, meta) => {
          out.push({ rtpTimestamp: meta.rtpTimestamp, receiveTime: meta.receiveTime, expectedDisplayTime: meta.expectedDisplayTime, origin: performance.timeOrigin });
          if (performance.now() < end) video.requestVideoFrameCallback(onFrame);
          else resolve(out);
        };
        video.requestVideoFrameCallback(onFrame);
      })`)) as { rtpTimestamp: number; receiveTime: number; expectedDisplayTime: number; origin: number }[];
      const stats = (await stack.pool.getRouter("cam-g2g")!.stats()) as {
        sessions: { viewerId: string | null; consumers: { kind: string; rtpTimestampOffset: number }[] }[];
      };
      const offset = stats.sessions
        .find((s) => s.viewerId === viewerId)!
        .consumers.find((c) => c.kind === "video")!.rtpTimestampOffset;
      const thisTry: number[] = [];
      for (const frame of frames.slice(5)) {
        // the first frames include the cached keyframe, re-timestamped
        const sent = sentAt.get((frame.rtpTimestamp - offset) >>> 0);
        if (sent === undefined || frame.rtpTimestamp === undefined) continue;
        toDisplay.push(frame.origin + frame.expectedDisplayTime - sent);
        toReceive.push(frame.origin + frame.receiveTime - sent);
        thisTry.push(frame.origin + frame.expectedDisplayTime - sent);
      }
      if (thisTry.length) perTry.push(distribution(thisTry).p50);
      await page.close();
    }
  } finally {
    await camera.stop();
    await stack.stop();
  }
  return { toDisplay: distribution(toDisplay), toReceive: distribution(toReceive), perTryMedian: distribution(perTry) };
}

// ── (c, d) CPU per forwarded stream ────────────────────────────────────
const CLK_TCK = 100;
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of the whole line)
}

function viewerProcess(): {
  child: ChildProcess;
  ask(message: object, until: ViewerReport["type"]): Promise<ViewerReport>;
} {
  const child = fork(join(root, "bench/live-view-viewers.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return {
    child,
    ask: (message, type) =>
      new Promise((resolve, reject) => {
        const onMessage = (report: ViewerReport) => {
          if (report.type === "error") {
            child.off("message", onMessage);
            reject(new Error(report.message));
          }
          if (report.type === type) {
            child.off("message", onMessage);
            resolve(report);
          }
        };
        child.on("message", onMessage);
        child.send(message);
      }),
  };
}

interface CpuPoint {
  viewers: number;
  cpuPercent: number;
  videoPktPerViewerPerS: number;
  audioPktPerViewerPerS: number;
}

async function cpuUnderLoad(pid: number, job: (count: number, offset: number) => ViewerJob): Promise<CpuPoint[]> {
  const points: CpuPoint[] = [];
  for (const viewers of [0, ...VIEWER_COUNTS]) {
    const processes: ReturnType<typeof viewerProcess>[] = [];
    for (let offset = 0; offset < viewers; offset += VIEWERS_PER_PROCESS) {
      const p = viewerProcess();
      processes.push(p);
      await p.ask({ type: "start", job: job(Math.min(VIEWERS_PER_PROCESS, viewers - offset), offset) }, "ready");
    }
    await sleep(2000); // let joins (keyframe requests, DTLS) settle
    const counters = async () =>
      (await Promise.all(processes.map((p) => p.ask({ type: "counters" }, "counters")))).reduce(
        (sum, r) =>
          r.type === "counters" ? { video: sum.video + r.videoPackets, audio: sum.audio + r.audioPackets } : sum,
        { video: 0, audio: 0 },
      );
    const before = await counters();
    const ticks = cpuTicks(pid);
    const t0 = performance.now();
    await sleep(CPU_WINDOW_MS);
    const seconds = (performance.now() - t0) / 1000;
    const cpuPercent = ((cpuTicks(pid) - ticks) / CLK_TCK / seconds) * 100;
    const after = await counters();
    points.push({
      viewers,
      cpuPercent,
      videoPktPerViewerPerS: viewers ? (after.video - before.video) / viewers / seconds : 0,
      audioPktPerViewerPerS: viewers ? (after.audio - before.audio) / viewers / seconds : 0,
    });
    console.log(
      `  ${String(viewers).padStart(3)} viewers: ${cpuPercent.toFixed(1)} % of a core; per viewer ${points.at(-1)!.videoPktPerViewerPerS.toFixed(0)} video + ${points.at(-1)!.audioPktPerViewerPerS.toFixed(0)} audio packets/s`,
    );
    await Promise.all(
      processes.map(async (p) => {
        const exited = new Promise((resolve) => p.child.once("exit", resolve));
        p.child.send({ type: "stop" });
        await Promise.race([exited, sleep(5000)]);
        p.child.kill();
      }),
    );
    await sleep(1500);
  }
  return points;
}

async function relayCpu(): Promise<CpuPoint[]> {
  const stack = await startRelayStack({ workers: 1 });
  const camera = await startCameraStream({
    whipUrl: stack.whipUrl("cam-cpu"),
    token: PUBLISH_TOKEN,
    hostAddresses: ["127.0.0.1"],
  });
  try {
    const pid = stack.pool.workerPidFor("cam-cpu")!;
    return await cpuUnderLoad(pid, (count, offset) => ({
      kind: "relay",
      whepUrl: stack.whepUrl("cam-cpu"),
      count,
      tokenPrefix: `viewer-cpu-${offset}-`,
    }));
  } finally {
    await camera.stop();
    await stack.stop();
  }
}

async function janusCpu(): Promise<CpuPoint[]> {
  const janus = await startJanus();
  try {
    return await cpuUnderLoad(janus.pid, (count) => ({
      kind: "janus",
      janusUrl: janus.url,
      mountpointId: janus.mountpointId,
      count,
    }));
  } finally {
    await janus.stop();
  }
}

// ── run ──────────────────────────────────────────────────────────────────
const startedAt = Date.now();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
let taps, g2g;
try {
  console.log(`(a) tap → first decoded frame through the gateway, ${TRIES} tries warm and cold …`);
  taps = await tapToFirstFrame(browser);
  console.log(`(b) glass-to-glass, ${TRIES} sessions …`);
  g2g = await glassToGlass(browser);
} finally {
  await browser.close();
}
console.log(`(c) relay worker CPU, ${CPU_WINDOW_MS / 1000} s windows …`);
const relay = await relayCpu();
console.log("(d) Janus streaming plugin CPU, same load …");
const janus = await janusCpu();

const dist = (values: number[]) => round(distribution(values));
const perStream = (points: CpuPoint[]) => {
  const idle = points.find((p) => p.viewers === 0)!.cpuPercent;
  return points
    .filter((p) => p.viewers > 0)
    .map((p) => ({
      viewers: p.viewers,
      cpuPercent: +p.cpuPercent.toFixed(1),
      perStream: +(p.cpuPercent / p.viewers).toFixed(2),
      marginalPerStream: +((p.cpuPercent - idle) / p.viewers).toFixed(2),
      videoPktPerViewerPerS: +p.videoPktPerViewerPerS.toFixed(1),
    }));
};
const relayRows = perStream(relay);
const janusRows = perStream(janus);
const results = {
  date: new Date().toISOString(),
  tries: TRIES,
  cpuWindowS: CPU_WINDOW_MS / 1000,
  machine: { cores: (await import("node:os")).availableParallelism(), node: process.version },
  tapToFirstFrameMs: {
    warm: {
      firstFrame: dist(taps.warm.map((r) => r.firstFrame)),
      answer: dist(taps.warm.map((r) => r.answer)),
      connected: dist(taps.warm.map((r) => r.connected)),
    },
    cold: {
      firstFrame: dist(taps.cold.map((r) => r.firstFrame)),
      answer: dist(taps.cold.map((r) => r.answer)),
      connected: dist(taps.cold.map((r) => r.connected)),
    },
  },
  glassToGlassMs: {
    cameraSendToExpectedDisplay: round(g2g.toDisplay),
    cameraSendToReceive: round(g2g.toReceive),
    perSessionMedian: round(g2g.perTryMedian),
  },
  cpu: {
    relayIdlePercent: +relay.find((p) => p.viewers === 0)!.cpuPercent.toFixed(1),
    janusIdlePercent: +janus.find((p) => p.viewers === 0)!.cpuPercent.toFixed(1),
    relay: relayRows,
    janus: janusRows,
    ratioRelayOverJanus: relayRows.map((r, i) => ({
      viewers: r.viewers,
      perStream: +(r.perStream / janusRows[i]!.perStream).toFixed(1),
      marginal: +(r.marginalPerStream / janusRows[i]!.marginalPerStream).toFixed(1),
    })),
  },
  durationS: Math.round((Date.now() - startedAt) / 1000),
};

const t = results.tapToFirstFrameMs;
console.log("\nlive view, loopback, headless Chromium + werift viewers");
console.log("┌──────────────────────────────────────────────┬──────────┬──────────┐");
console.log("│ measure                                      │   median │      p95 │");
console.log("├──────────────────────────────────────────────┼──────────┼──────────┤");
const row = (label: string, d: { p50: number; p95: number }) =>
  console.log(`│ ${label.padEnd(44)} │ ${d.p50.toFixed(0).padStart(5)} ms │ ${d.p95.toFixed(0).padStart(5)} ms │`);
row("tap → first frame, camera streaming (warm)", t.warm.firstFrame);
row("tap → first frame, camera started (cold)", t.cold.firstFrame);
row("  cold: tap → WHEP answer", t.cold.answer);
row("glass-to-glass (camera send → display)", results.glassToGlassMs.cameraSendToExpectedDisplay);
row("  camera send → browser receive", results.glassToGlassMs.cameraSendToReceive);
console.log("└──────────────────────────────────────────────┴──────────┴──────────┘");
console.log(
  `CPU (% of one core) of the SFU process; idle with the camera's stream only: relay ${results.cpu.relayIdlePercent} %, Janus ${results.cpu.janusIdlePercent} %`,
);
console.log(
  "viewers │ relay total │ relay /stream │ Janus total │ Janus /stream │ ratio relay/Janus (per stream, marginal)",
);
for (const [i, r] of relayRows.entries()) {
  const j = janusRows[i]!;
  const ratio = results.cpu.ratioRelayOverJanus[i]!;
  console.log(
    `${String(r.viewers).padStart(7)} │ ${r.cpuPercent.toFixed(1).padStart(9)} % │ ${r.perStream.toFixed(2).padStart(11)} % │ ${j.cpuPercent.toFixed(1).padStart(9)} % │ ${j.perStream.toFixed(2).padStart(11)} % │ ${ratio.perStream}× , ${ratio.marginal}×`,
  );
}
mkdirSync(join(root, "bench/results"), { recursive: true });
const file = join(root, `bench/results/live-view-${results.date.slice(0, 10)}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\n${file} (${results.durationS} s)`);
process.exit(0);
