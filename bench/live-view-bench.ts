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
import { createCredentialsStore } from "../device-client/src/credentials-store.ts";
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
const FANOUT_VIEWERS = Number(process.env.BENCH_FANOUT ?? 200);
const FANOUT_PER_PROCESS = 40;
/** BENCH_ONLY=fanout: only the fan-out (e), printed, no JSON. */
const ONLY_FANOUT = process.env.BENCH_ONLY === "fanout";
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
/** A gateway with the relay, on a fresh SQLite file, with the demo data (and its password). */
async function startBenchGateway(password: string) {
  const dataDir = join(root, "data", "bench");
  mkdirSync(dataDir, { recursive: true });
  const dbFile = join(dataDir, `live-view-${process.pid}.db`);
  const databaseUrl = `file:${dbFile}`;
  execFileSync(join(root, "node_modules/.bin/prisma"), ["migrate", "deploy", "--config", "prisma/sqlite.config.ts"], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: "pipe",
  });
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
  return { gateway, db, dbFile, httpUrl: `http://127.0.0.1:${started.httpPort}`, seed: started.seed! };
}

/** JSON requests to the gateway, with a bearer token when given. */
function benchApi(httpUrl: string) {
  return async (method: string, path: string, token?: string, body?: unknown) => {
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
}

async function tapToFirstFrame(browser: Browser) {
  const password = "bench-password-123";
  const { gateway, db, dbFile, httpUrl, seed } = await startBenchGateway(password);
  const api = benchApi(httpUrl);
  const login = async (username: string) =>
    (await api("POST", "/api/v1/auth/login", undefined, { username, password })).body.token as string;
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
  ingestPktPerS?: number;
  viewers: number;
  cpuPercent: number;
  videoPktPerViewerPerS: number;
  audioPktPerViewerPerS: number;
  expectedPackets: number;
  receivedPackets: number;
}

interface Target {
  name: string;
  pid: number;
  job(count: number, offset: number): ViewerJob;
  /** Packets the SFU has received from the camera so far (the relay's producers), to tell a slow source from loss. */
  ingestPackets?(): Promise<number>;
}

type ViewerProcess = ReturnType<typeof viewerProcess>;

async function startViewers(target: Target, viewers: number, perProcess: number): Promise<ViewerProcess[]> {
  const processes: ViewerProcess[] = [];
  try {
    const starts: Promise<unknown>[] = [];
    for (let offset = 0; offset < viewers; offset += perProcess) {
      const p = viewerProcess();
      processes.push(p);
      starts.push(p.ask({ type: "start", job: target.job(Math.min(perProcess, viewers - offset), offset) }, "ready"));
    }
    await Promise.all(starts);
  } catch (error) {
    await stopViewers(processes);
    throw error;
  }
  return processes;
}

async function stopViewers(processes: ViewerProcess[]): Promise<void> {
  await Promise.all(
    processes.map(async (p) => {
      const exited = new Promise((resolve) => p.child.once("exit", resolve));
      p.child.send({ type: "stop" });
      await Promise.race([exited, sleep(5000)]);
      p.child.kill();
    }),
  );
}

/** The SFU's CPU time (utime + stime from /proc) over one window with `viewers` viewers connected. */
async function measure(target: Target, viewers: number, perProcess = VIEWERS_PER_PROCESS): Promise<CpuPoint> {
  const processes = await startViewers(target, viewers, perProcess);
  try {
    await sleep(2000); // let joins (keyframe requests, DTLS) settle
    const counters = async () =>
      (await Promise.all(processes.map((p) => p.ask({ type: "counters" }, "counters")))).reduce(
        (sum, r) =>
          r.type === "counters"
            ? {
                video: sum.video + r.videoPackets,
                audio: sum.audio + r.audioPackets,
                expected: sum.expected + r.expectedPackets,
                received: sum.received + r.receivedPackets,
              }
            : sum,
        { video: 0, audio: 0, expected: 0, received: 0 },
      );
    const before = await counters();
    const ingestBefore = await target.ingestPackets?.();
    const ticks = cpuTicks(target.pid);
    const t0 = performance.now();
    await sleep(CPU_WINDOW_MS);
    const cpuSeconds = (cpuTicks(target.pid) - ticks) / CLK_TCK;
    const seconds = (performance.now() - t0) / 1000;
    const after = await counters();
    const ingestAfter = await target.ingestPackets?.();
    const point: CpuPoint = {
      ingestPktPerS:
        ingestBefore === undefined || ingestAfter === undefined ? undefined : (ingestAfter - ingestBefore) / seconds,
      viewers,
      cpuPercent: (cpuSeconds / seconds) * 100,
      videoPktPerViewerPerS: viewers ? (after.video - before.video) / viewers / seconds : 0,
      audioPktPerViewerPerS: viewers ? (after.audio - before.audio) / viewers / seconds : 0,
      expectedPackets: after.expected - before.expected,
      receivedPackets: after.received - before.received,
    };
    const loss = point.expectedPackets ? (1 - point.receivedPackets / point.expectedPackets) * 100 : 0;
    console.log(
      `  ${target.name.padEnd(9)} ${String(viewers).padStart(3)} viewers: ${point.cpuPercent.toFixed(1)} % of a core; per viewer ${point.videoPktPerViewerPerS.toFixed(0)} video + ${point.audioPktPerViewerPerS.toFixed(0)} audio packets/s; loss ${loss.toFixed(2)} % (${point.expectedPackets - point.receivedPackets} of ${point.expectedPackets})${point.ingestPktPerS === undefined ? "" : `; from the camera ${point.ingestPktPerS.toFixed(0)} packets/s`}`,
    );
    return point;
  } finally {
    await stopViewers(processes);
    await sleep(1500);
  }
}

/**
 * Both SFUs run side by side for the whole comparison (the relay fed by the simulated camera over WHIP,
 * Janus by the same clips as plain RTP) and each viewer count is measured on one, then the other, so both
 * see the same machine load; the order alternates between rounds.
 */
async function cpuComparison(): Promise<{
  relay: CpuPoint[];
  janus: CpuPoint[];
  fanout: CpuPoint | { error: string } | null;
  loadAverage: number[];
}> {
  const stack = await startRelayStack({ workers: 1 });
  const camera = await startCameraStream({
    whipUrl: stack.whipUrl("cam-cpu"),
    token: PUBLISH_TOKEN,
    hostAddresses: ["127.0.0.1"],
  });
  const janus = await startJanus();
  const loadAverage = (await import("node:os")).loadavg();
  try {
    const relayTarget: Target = {
      name: "mediasoup",
      pid: stack.pool.workerPidFor("cam-cpu")!,
      job: (count, offset) => ({
        kind: "relay",
        whepUrl: stack.whepUrl("cam-cpu"),
        count,
        tokenPrefix: `viewer-cpu-${offset}-`,
      }),
      ingestPackets: async () => {
        const stats = (await stack.pool.getRouter("cam-cpu")!.stats()) as {
          sessions: { role: string; producers: { packetsReceived: number }[] }[];
        };
        return stats.sessions
          .filter((s) => s.role === "camera")
          .flatMap((s) => s.producers)
          .reduce((sum, p) => sum + p.packetsReceived, 0);
      },
    };
    const janusTarget: Target = {
      name: "janus",
      pid: janus.pid,
      job: (count) => ({ kind: "janus", janusUrl: janus.url, mountpointId: janus.mountpointId, count }),
    };
    const relay: CpuPoint[] = [];
    const janusPoints: CpuPoint[] = [];
    for (const [round, viewers] of (ONLY_FANOUT ? [] : [0, ...VIEWER_COUNTS]).entries()) {
      const order = round % 2 === 0 ? [relayTarget, janusTarget] : [janusTarget, relayTarget];
      for (const target of order) (target === relayTarget ? relay : janusPoints).push(await measure(target, viewers));
    }
    let fanout: CpuPoint | { error: string } | null = null;
    if (FANOUT_VIEWERS > 0) {
      console.log(`(e) one camera fanned out to ${FANOUT_VIEWERS} viewers on one mediasoup worker …`);
      fanout = await measure(relayTarget, FANOUT_VIEWERS, FANOUT_PER_PROCESS).catch((error: Error) => {
        console.log(`  fan-out failed: ${error.message}`);
        return { error: error.message };
      });
    }
    return { relay, janus: janusPoints, fanout, loadAverage };
  } finally {
    await janus.stop();
    await camera.stop();
    await stack.stop();
  }
}

// ── run ──────────────────────────────────────────────────────────────────
if (ONLY_FANOUT) {
  const { fanout } = await cpuComparison();
  console.log(JSON.stringify(fanout));
  process.exit(0);
}
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
console.log(`(c, d) mediasoup worker and Janus CPU, ${CPU_WINDOW_MS / 1000} s windows, interleaved …`);
const comparison = await cpuComparison();
const { relay, janus } = comparison;

const dist = (values: number[]) => round(distribution(values));
const perStream = (points: CpuPoint[]) => {
  const idle = points.find((p) => p.viewers === 0)!.cpuPercent;
  return points
    .filter((p) => p.viewers > 0)
    .map((p) => ({
      viewers: p.viewers,
      cpuPercent: +p.cpuPercent.toFixed(1),
      perStream: +(p.cpuPercent / p.viewers).toFixed(3),
      marginalPerStream: +((p.cpuPercent - idle) / p.viewers).toFixed(3),
      videoPktPerViewerPerS: +p.videoPktPerViewerPerS.toFixed(1),
      lossPercent: lossPercent(p),
    }));
};
const relayRows = perStream(relay);
function lossPercent(p: CpuPoint): number {
  return p.expectedPackets ? +((1 - p.receivedPackets / p.expectedPackets) * 100).toFixed(3) : 0;
}
const janusRows = perStream(janus);
const results = {
  command: `BENCH_TRIES=${TRIES} BENCH_CPU_WINDOW_S=${CPU_WINDOW_MS / 1000} BENCH_VIEWERS=${VIEWER_COUNTS.join(",")} BENCH_FANOUT=${FANOUT_VIEWERS} npm run bench:live-view`,
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
      perStream: +(r.perStream / janusRows[i]!.perStream).toFixed(2),
      marginal: +(r.marginalPerStream / janusRows[i]!.marginalPerStream).toFixed(2),
    })),
  },
  fanout: !comparison.fanout
    ? null
    : "error" in comparison.fanout
      ? comparison.fanout
      : {
          viewers: comparison.fanout.viewers,
          cpuPercent: +comparison.fanout.cpuPercent.toFixed(1),
          perStream: +(comparison.fanout.cpuPercent / comparison.fanout.viewers).toFixed(3),
          videoPktPerViewerPerS: +comparison.fanout.videoPktPerViewerPerS.toFixed(1),
          audioPktPerViewerPerS: +comparison.fanout.audioPktPerViewerPerS.toFixed(1),
          expectedPackets: comparison.fanout.expectedPackets,
          receivedPackets: comparison.fanout.receivedPackets,
          lossPercent: lossPercent(comparison.fanout),
        },
  loadAverageAtCpuStart: comparison.loadAverage.map((l) => +l.toFixed(2)),
  loadAverageAtEnd: (await import("node:os")).loadavg().map((l) => +l.toFixed(2)),
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
    `${String(r.viewers).padStart(7)} │ ${r.cpuPercent.toFixed(1).padStart(9)} % │ ${r.perStream.toFixed(3).padStart(11)} % │ ${j.cpuPercent.toFixed(1).padStart(9)} % │ ${j.perStream.toFixed(3).padStart(11)} % │ ${ratio.perStream}× , ${ratio.marginal}×`,
  );
}
mkdirSync(join(root, "bench/results"), { recursive: true });
const file = join(root, `bench/results/live-view-${results.date.slice(0, 10)}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
if (results.fanout && "error" in results.fanout)
  console.log(`fan-out to ${FANOUT_VIEWERS} viewers failed: ${results.fanout.error}`);
else if (results.fanout)
  console.log(
    `${results.fanout.viewers} viewers on one mediasoup worker: ${results.fanout.cpuPercent} % of a core (${results.fanout.perStream} % per stream), loss ${results.fanout.lossPercent} % (${results.fanout.expectedPackets - results.fanout.receivedPackets} of ${results.fanout.expectedPackets} packets)`,
  );
console.log(
  `load average at the CPU runs' start ${results.loadAverageAtCpuStart.join(" ")}, at the end ${results.loadAverageAtEnd.join(" ")}`,
);
console.log(`\n${file} (${results.durationS} s)`);
process.exit(0);
