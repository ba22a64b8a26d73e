// Broker benchmark: N authenticated cameras against the real Wangxiang stack (aedes broker embedded in the
// gateway, SQLite), then the same load against Mosquitto. Cameras are played by child processes
// (bench/load-worker.ts) so the load generator does not share an event loop with the broker.
//
//   npm run bench:broker -- --cameras 10000 --rate 10000 --duration 20
//
// Prints a table and writes bench/results/broker-<date>.json. Options: see usage() below.
import { spawnSync } from "node:child_process";
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot, type HeapSpaceInfo } from "node:v8";
import { runInNewContext } from "node:vm";
import mqtt, { type MqttClient } from "mqtt";
import { createDatabase, type Database } from "../core/database.ts";
import { openBenchDatabase } from "./bench-database.ts";
import { buildGateway, type Gateway } from "../gateway/src/app.ts";
import type { WorkerHeap } from "../gateway/src/device-plane/ingest/protocol.ts";
import { readGatewayConfig } from "../gateway/src/config.ts";
import type { WangxiangBroker } from "../broker/src/broker.ts";
import {
  nowMs,
  type CameraCredential,
  type CloseReport,
  type ConnectReport,
  type FromWorker,
  type HeartbeatReport,
  type ToWorker,
} from "./ipc.ts";
import {
  aedesAlone,
  privateMosquitto,
  systemMosquitto,
  vmRssBytes,
  type ReferenceBroker,
} from "./reference-brokers.ts";
import { PhaseProfiler, type ProfileSummary } from "./profile.ts";
import { countingQueries } from "./query-count.ts";
import { makeCredentials, provisionCameras } from "./provision.ts";
import { distribution, kib, mib, round, Samples, table, type Distribution } from "./stats.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** What the bench was doing, for the report when the broker process throws (aedes runs in this process). */
const crashContext: {
  phase: string;
  partial: unknown;
  aedes: AedesResult | null;
  references: References;
  resultsFile: string | null;
  workers: ChildProcess[];
} = {
  phase: "start",
  partial: null,
  aedes: null,
  references: { aedesAlone: null, mosquitto: null },
  resultsFile: null,
  workers: [],
};

// ── options ─────────────────────────────────────────────────────────────────────────────────────────
function usage(): string {
  return `usage: npm run bench:broker -- [options]
  --cameras N        cameras (MQTT connections) per broker                      (default 10000)
  --rate R           heartbeats per second, all cameras together                 (default 10000)
  --duration S       seconds of heartbeats per broker                            (default 20)
  --workers W        child processes that play the cameras (2 or more)           (default 2)
  --concurrency C    CONNECTs in flight per worker; keep the total under mosquitto's listen
                     backlog of 100, or SYN retries (1 s) distort its connect rate (default 50)
  --qos 0|1          QoS of heartbeats (firmware-sim sends 0)                    (default 0)
  --mosquitto M      system: the machine's broker on 127.0.0.1:1883; private: a fresh one started
                     here with a password file on a free port; none: skip        (default system)
  --settle S         seconds each broker idles before memory is read, before the connects and again after
                     them (the "after S s idle" row), as a broker spends most of its life       (default 20)
  --no-aedes-alone   skip the run of aedes with nothing of ours around it (bench/aedes-alone.ts), which
                     tells what aedes and Node's sockets cost from what our broker and gateway add
  --profile          CPU-profile the broker+gateway process during connect and heartbeats
                     (bench/results/*.cpuprofile, summary in the JSON and on stdout)
  --count-queries    count the gateway's Prisma queries per model/operation (adds overhead)
  --heap-snapshots   write V8 heap snapshots of the broker process before and after the aedes connects
                     (bench/results/*.heapsnapshot; compare them with bench/heap-diff.ts). Writing one
                     grows RSS, so take RSS per connection from a run without this option
  --database D       sqlite: a fresh file; postgres: a fresh schema in TEST_DATABASE_URL
                     (default postgresql://postgres@127.0.0.1:5432/test)           (default sqlite)
  --mq-concurrency K what-if: set aedes' mqemitter concurrency (messages in flight broker → subscribers,
                     aedes default 100, which createBroker keeps) on the running broker
Environment: gateway variables (e.g. HEARTBEAT_FLUSH_MS) are read by readGatewayConfig as usual; the
bench sets ports, database, log level, seeding and the connection/auth rate limits itself.`;
}

interface Options {
  cameras: number;
  rate: number;
  durationS: number;
  settleS: number;
  workers: number;
  concurrency: number;
  qos: 0 | 1;
  mosquitto: "system" | "private" | "none";
  skipAedesAlone: boolean;
  profile: boolean;
  countQueries: boolean;
  heapSnapshots: boolean;
  /** What-if: aedes' mqemitter concurrency set on the running broker (createBroker leaves aedes' default, 100). */
  mqConcurrency: number | null;
  database: "sqlite" | "postgres";
}

const booleanOptions = new Map<string, "profile" | "countQueries" | "heapSnapshots" | "skipAedesAlone">([
  ["--no-aedes-alone", "skipAedesAlone"],
  ["--profile", "profile"],
  ["--count-queries", "countQueries"],
  ["--heap-snapshots", "heapSnapshots"],
]);

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new Error(`${name} is ${allowed.join(", ")} (got ${value})`);
  return value as T;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    cameras: 10_000,
    rate: 10_000,
    durationS: 20,
    settleS: 20,
    workers: 2,
    concurrency: 50,
    qos: 0,
    mosquitto: "system",
    skipAedesAlone: false,
    profile: false,
    countQueries: false,
    heapSnapshots: false,
    mqConcurrency: null,
    database: "sqlite",
  };
  const positive = (name: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number (got ${value})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => argv[++i];
    const flag = booleanOptions.get(arg);
    if (flag) {
      o[flag] = true;
      continue;
    }
    switch (arg) {
      case "--cameras":
        o.cameras = Math.floor(positive(arg, value()));
        break;
      case "--rate":
        o.rate = positive(arg, value());
        break;
      case "--duration":
        o.durationS = positive(arg, value());
        break;
      case "--settle":
        o.settleS = Number(value());
        if (!(o.settleS >= 0)) throw new Error("--settle needs seconds, 0 or more");
        break;
      case "--workers":
        o.workers = Math.max(2, Math.floor(positive(arg, value())));
        break;
      case "--concurrency":
        o.concurrency = Math.floor(positive(arg, value()));
        break;
      case "--qos": {
        const q = value();
        if (q !== "0" && q !== "1") throw new Error("--qos is 0 or 1");
        o.qos = Number(q) as 0 | 1;
        break;
      }
      case "--mosquitto":
        o.mosquitto = oneOf(arg, value(), ["system", "private", "none"] as const);
        break;
      case "--database":
        o.database = oneOf(arg, value(), ["sqlite", "postgres"] as const);
        break;
      case "--mq-concurrency":
        o.mqConcurrency = Math.floor(positive(arg, value()));
        break;
      case "--help":
      case "-h":
        console.log(usage());
        return process.exit(0);
      default:
        throw new Error(`unknown option ${arg}\n${usage()}`);
    }
  }
  if (o.durationS > 120) throw new Error("--duration is at most 120 s (a full run should stay within a few minutes)");
  return o;
}

// ── open-file limit: each connection is a file descriptor in the broker process and in a worker ────────
function softNoFile(): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  return !match || match[1] === "unlimited" ? Infinity : Number(match[1]);
}

/** Re-runs this process under `ulimit -n` when the limit is too low for N connections (children inherit it). */
function ensureOpenFileLimit(needed: number): void {
  if (softNoFile() >= needed) return;
  if (process.env.WX_BENCH_RAISED_NOFILE) {
    console.warn(
      `warning: open-file limit ${softNoFile()} < ${needed} needed and could not be raised; run with \`ulimit -n 65536\``,
    );
    return;
  }
  const target = Math.max(needed, 65_536);
  const script = fileURLToPath(import.meta.url);
  console.log(`raising the open-file limit from ${softNoFile()} to ${target} (re-running under ulimit -n)`);
  const run = spawnSync(
    "/bin/sh",
    [
      "-c",
      `ulimit -n ${target} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`,
      "sh",
      process.execPath,
      ...process.execArgv,
      script,
      ...process.argv.slice(2),
    ],
    {
      stdio: "inherit",
      env: { ...process.env, WX_BENCH_RAISED_NOFILE: "1" },
    },
  );
  process.exit(run.status ?? 1);
}

// ── garbage collection for memory measurements ─────────────────────────────────────────────────────
function getGc(): (() => void) | null {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  } catch {
    return null;
  }
}
const gc = getGc();
type SettledMemory = NodeJS.MemoryUsage & { spaces: HeapSpaceInfo[] };
/**
 * --settle: memory is read after the broker has been idle this long, before the connects and again after, as
 * a broker spends most of its life; V8's memory reducer gives back what it grew for the provisioning or storm.
 */
const idle = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function settledMemory(): Promise<SettledMemory> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...process.memoryUsage(), spaces: getHeapSpaceStatistics() };
}

/** How each V8 heap space grew (MiB committed and used): what heapTotal, and so RSS, is made of. */
function heapSpaceGrowth(
  before: HeapSpaceInfo[],
  after: HeapSpaceInfo[],
): Record<string, { committedMiB: number; usedMiB: number }> {
  const growth: Record<string, { committedMiB: number; usedMiB: number }> = {};
  for (const space of after) {
    const was = before.find((b) => b.space_name === space.space_name);
    const committedMiB = mib(space.space_size - (was?.space_size ?? 0));
    const usedMiB = mib(space.space_used_size - (was?.space_used_size ?? 0));
    if (committedMiB !== 0 || usedMiB !== 0) growth[space.space_name] = { committedMiB, usedMiB };
  }
  return growth;
}

// ── workers ────────────────────────────────────────────────────────────────────────────────────────
class Worker {
  private waiting = new Map<string, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;
  constructor(
    readonly child: ChildProcess,
    readonly index: number,
  ) {
    this.ready = new Promise((resolve, reject) => this.waiting.set("ready", { resolve: () => resolve(), reject }));
    child.on("message", (m: FromWorker) => {
      if (m.type === "error") {
        for (const w of this.waiting.values()) w.reject(new Error(`worker ${index}: ${m.message}`));
        this.waiting.clear();
        return;
      }
      const w = this.waiting.get(m.type);
      this.waiting.delete(m.type);
      w?.resolve(m);
    });
    child.on("exit", (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`worker ${index} exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }
  request<T extends FromWorker>(message: ToWorker, answer: T["type"], timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker ${this.index}: no ${answer} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.set(answer, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send(message);
    });
  }
}

function startWorkers(count: number): Worker[] {
  // --cpu-prof and friends are for this process only; the workers just need tsx.
  const execArgv = ["--import", "tsx"];
  return Array.from(
    { length: count },
    (_, i) =>
      new Worker(
        fork(join(root, "bench", "load-worker.ts"), [], {
          cwd: root,
          execArgv,
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        }),
        i,
      ),
  );
}

function split<T>(items: T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, p) => items.filter((_, i) => i % parts === p));
}

async function waitUntil(probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ── phases shared by both brokers ──────────────────────────────────────────────────────────────────
interface ConnectFigures {
  attempted: number;
  connected: number;
  online: number;
  failed: number;
  errorSamples: string[];
  seconds: number;
  connectsPerS: number;
  /** All CONNACKed and their retained online status acknowledged. */
  onlineSeconds: number;
  connackMs: Distribution;
}

async function connectPhase(
  workers: Worker[],
  url: string,
  cameras: CameraCredential[],
  o: Options,
): Promise<ConnectFigures> {
  const shares = split(cameras, workers.length);
  const reports = await Promise.all(
    workers.map((w, i) =>
      w.request<ConnectReport>(
        {
          type: "connect",
          url,
          cameras: shares[i]!,
          concurrency: o.concurrency,
          keepaliveS: 120,
          connectTimeoutMs: 60_000,
        },
        "connected",
        420_000,
      ),
    ),
  );
  const first = Math.min(...reports.map((r) => r.firstStartAt));
  const lastConnack = Math.max(...reports.map((r) => r.lastConnackAt));
  const lastOnline = Math.max(...reports.map((r) => r.lastOnlineAt));
  const connected = reports.reduce((s, r) => s + r.connected, 0);
  const seconds = (lastConnack - first) / 1000;
  return {
    attempted: cameras.length,
    connected,
    online: reports.reduce((s, r) => s + r.online, 0),
    failed: reports.reduce((s, r) => s + r.failed, 0),
    errorSamples: reports.flatMap((r) => r.errorSamples).slice(0, 5),
    seconds: round(seconds, 2),
    connectsPerS: round(connected / seconds, 0),
    onlineSeconds: round((lastOnline - first) / 1000, 2),
    connackMs: roundDist(distribution(reports.flatMap((r) => r.connackMs))),
  };
}

interface OfferedFigures {
  sent: number;
  seconds: number;
  offeredPerS: number;
  maxTickGapMs: number;
  closedClients: number;
  workerCpuPercent: number;
}

async function heartbeatPhase(
  workers: Worker[],
  o: Options,
): Promise<{ offered: OfferedFigures; startedAt: number; endedAt: number }> {
  const perWorker = o.rate / workers.length;
  const reports = await Promise.all(
    workers.map((w) =>
      w.request<HeartbeatReport>(
        {
          type: "heartbeats",
          ratePerS: perWorker,
          durationMs: o.durationS * 1000,
          qos: o.qos,
        },
        "heartbeats-done",
        o.durationS * 1000 + 60_000,
      ),
    ),
  );
  const startedAt = Math.min(...reports.map((r) => r.startedAt));
  const endedAt = Math.max(...reports.map((r) => r.endedAt));
  const sent = reports.reduce((s, r) => s + r.sent, 0);
  const seconds = (endedAt - startedAt) / 1000;
  return {
    startedAt,
    endedAt,
    offered: {
      sent,
      seconds: round(seconds, 2),
      offeredPerS: round(sent / seconds, 0),
      maxTickGapMs: round(Math.max(...reports.map((r) => r.maxTickGapMs)), 1),
      closedClients: reports.reduce((s, r) => s + r.closedClients, 0),
      workerCpuPercent: round(
        (100 * reports.reduce((s, r) => s + r.cpuUserMs + r.cpuSystemMs, 0)) / (seconds * 1000),
        0,
      ),
    },
  };
}

async function closePhase(
  workers: Worker[],
  clearRetained: boolean,
): Promise<{ closed: number; retainedCleared: number }> {
  const reports = await Promise.all(
    workers.map((w) => w.request<CloseReport>({ type: "close", clearRetained, timeoutMs: 30_000 }, "closed", 60_000)),
  );
  return {
    closed: reports.reduce((s, r) => s + r.closed, 0),
    retainedCleared: reports.reduce((s, r) => s + r.retainedCleared, 0),
  };
}

/** Waits until `count()` reaches `target` or stops moving for `idleMs`; bounded by `maxMs`. */
async function drain(count: () => number, target: number, idleMs: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = count();
  let lastChange = Date.now();
  while (count() < target && Date.now() < deadline && Date.now() - lastChange < idleMs) {
    await new Promise((r) => setTimeout(r, 100));
    if (count() !== last) {
      last = count();
      lastChange = Date.now();
    }
  }
}

const roundDist = (d: Distribution): Distribution => ({
  count: d.count,
  p50: round(d.p50),
  p95: round(d.p95),
  p99: round(d.p99),
  max: round(d.max),
  mean: round(d.mean),
});

function perSecondTimeline(bucketCounts: number[]): number[] {
  return bucketCounts.map((n) => n ?? 0);
}

// ── aedes: the real Wangxiang stack ────────────────────────────────────────────────────────────────
/** What the phases of one aedes run share. */
interface AedesRun {
  o: Options;
  workers: Worker[];
  resultsDir: string;
  stamp: string;
  gateway: Gateway;
  broker: WangxiangBroker;
  plainDb: Database;
  queries: ReturnType<typeof countingQueries> | null;
  profiler: PhaseProfiler | null;
  profiles: Record<string, ProfileSummary | null>;
}

async function benchAedes(
  o: Options,
  workers: Worker[],
  cameras: CameraCredential[],
  resultsDir: string,
  stamp: string,
) {
  const database = await openBenchDatabase(o.database);
  let db: Database | null = null;
  let gateway: Gateway | null = null;
  try {
    const plainDb = database.db;
    // With a client of its own: Prisma keeps the plans of the inserts, every camera's values in them (~29 MB
    // at 10,000 cameras), and freed them during the connects, which hid that much growth per connection.
    const provisioner = createDatabase(database.url);
    const provisioned = await provisionCameras(provisioner, cameras).finally(() => provisioner.$disconnect());
    const queries = o.countQueries ? countingQueries(plainDb) : null;
    db = queries?.db ?? plainDb;
    console.log(
      `provisioned ${o.cameras} cameras: HMAC ${(provisioned.hashMs / 1000).toFixed(1)} s, insert ${(provisioned.insertMs / 1000).toFixed(1)} s`,
    );

    gateway = buildGateway(benchGatewayConfig(database.url), { database: db });
    const { mqttPort } = await gateway.start();
    const broker = gateway.broker as WangxiangBroker;
    const mqConcurrency = applyMqConcurrency(broker, o);
    const run: AedesRun = {
      o,
      workers,
      resultsDir,
      stamp,
      gateway,
      broker,
      plainDb,
      queries,
      profiler: o.profile ? new PhaseProfiler() : null,
      profiles: {},
    };

    const connected = await aedesConnect(run, `mqtt://127.0.0.1:${mqttPort}`, provisioned.cameras);
    const { connect, memory } = connected;
    const { heartbeats, heartbeatQueries } = await aedesHeartbeats(run, { connect, memory });

    // A backlog left in aedes' mqemitter is dangerous at close: each disconnect publishes a $SYS message
    // nobody subscribes to, and a run of those in the queue is released recursively (stack overflow).
    const backlogBeforeClose = mqQueue(broker);
    if (backlogBeforeClose > 0) await waitUntil(() => mqQueue(broker) === 0, 30_000, 200);
    heartbeats.storedAfterBacklogWait = heartbeats.stored;

    const result = {
      broker: "aedes (embedded in the gateway)",
      database: database.provider,
      databaseMigrateMs: Math.round(database.migrateMs),
      mqConcurrency,
      provisioning: provisioningFigures(o, provisioned),
      queries: queries
        ? {
            connect: connected.connectQueries,
            perConnect: perCamera(connected.connectQueries!, connect.connected),
            heartbeats: heartbeatQueries,
          }
        : null,
      connect: {
        ...connect,
        markedOnlineInDb: connected.onlineInDb,
        allMarkedOnline: connected.allOnline && connected.onlineInDb === o.cameras,
        secondsUntilAllOnlineInDb: round(connected.markedOnlineS, 2),
        gatewayProcessCpuPercent: round(
          (100 * (connected.cpu.user + connected.cpu.system)) / 1000 / (connected.markedOnlineS * 1000),
          0,
        ),
        // Until all are online in the database: the ingest worker's writes are part of a camera's connect.
        cpuPerConnectUs: round((connected.cpu.user + connected.cpu.system) / Math.max(1, connect.connected), 0),
      },
      memory,
      heartbeats,
      close: null as AedesClose | null,
      profiles: run.profiles,
    };
    crashContext.phase = "aedes close";
    crashContext.aedes = result;
    result.close = await aedesClose(run, backlogBeforeClose);
    return result;
  } finally {
    await gateway?.stop().catch((error: unknown) => console.error("gateway stop:", error));
    if (db !== database.db) await db?.$disconnect().catch(() => undefined);
    await database.drop();
  }
}

function provisioningFigures(o: Options, provisioned: { hashMs: number; insertMs: number }) {
  return {
    cameras: o.cameras,
    hashSeconds: round(provisioned.hashMs / 1000, 2),
    insertSeconds: round(provisioned.insertMs / 1000, 2),
    hashesPerS: round(o.cameras / (provisioned.hashMs / 1000), 0),
  };
}

interface AedesClose {
  closed: number;
  retainedCleared: number;
  seconds: number;
  brokerConnectedAfter: number;
  mqBacklogBeforeClose: number;
  mqBacklogAtClose: number;
}

async function aedesClose({ workers, broker }: AedesRun, backlogBeforeClose: number): Promise<AedesClose> {
  const backlogAtClose = mqQueue(broker);
  const closeStart = performance.now();
  const closed = await closePhase(workers, false);
  await waitUntil(() => broker.metrics.connectedDevices === 0, 30_000, 100);
  return {
    ...closed,
    seconds: round((performance.now() - closeStart) / 1000, 2),
    brokerConnectedAfter: broker.metrics.connectedDevices,
    mqBacklogBeforeClose: backlogBeforeClose,
    mqBacklogAtClose: backlogAtClose,
  };
}

const mqQueue = (broker: WangxiangBroker) =>
  (broker.aedes as { mq?: { _messageQueue?: unknown[] } } | undefined)?.mq?._messageQueue?.length ?? 0;

/** The gateway as deployed, with every connect limit lifted: the bench measures the broker, not the limiter. */
function benchGatewayConfig(databaseUrl: string) {
  return readGatewayConfig({
    ...process.env,
    HTTP_PORT: "0",
    HTTP_HOST: "127.0.0.1",
    MQTT_PORT: "0",
    MQTT_HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "silent",
    SEED_DEMO_DATA: "0",
    // The relay (mediasoup workers) plays no part in this bench; its worker binary may not even be built.
    RELAY_ENABLED: "0",
    MQTT_CONNECT_RATE: "1000000",
    MQTT_CONNECT_BURST: "1000000",
    MQTT_CONNECT_RATE_PER_ADDRESS: "1000000",
    MQTT_CONNECT_BURST_PER_ADDRESS: "1000000",
    MQTT_AUTH_FAILURES_PER_MINUTE: "1000000",
  });
}

/** --mq-concurrency: a what-if on aedes' mqemitter concurrency. */
function applyMqConcurrency(broker: WangxiangBroker, o: Options) {
  const mq = (broker.aedes as { mq?: { concurrency: number } }).mq;
  const mqConcurrency = { default: mq?.concurrency ?? null, used: mq?.concurrency ?? null };
  if (o.mqConcurrency !== null && mq) {
    mq.concurrency = o.mqConcurrency;
    mqConcurrency.used = o.mqConcurrency;
    console.log(`what-if: aedes mqemitter concurrency ${mqConcurrency.default} → ${o.mqConcurrency}`);
  }
  return mqConcurrency;
}

async function aedesConnect(run: AedesRun, url: string, cameras: CameraCredential[]) {
  const { o, workers, profiler, queries, plainDb } = run;
  crashContext.phase = "aedes connect";
  const snapshot = heapSnapshotWriter(run);
  await idle(o.settleS);
  snapshot?.("before");
  const memBefore = await settledMemory();
  const workerBefore = await run.gateway.ingestThread.heap();
  await profiler?.start();
  const cpuConnect = process.cpuUsage();
  const connectWall = performance.now();
  const connect = await connectPhase(workers, url, cameras, o);
  console.log(
    `aedes: ${connect.connected}/${connect.attempted} connected in ${connect.seconds} s (${connect.connectsPerS}/s), ${connect.failed} failed`,
  );
  const onlineTarget = connect.online;
  let onlineInDb = 0;
  const allOnline = await waitUntil(
    async () => (onlineInDb = await plainDb.device.count({ where: { connection: "online" } })) >= onlineTarget,
    120_000,
    250,
  );
  const markedOnlineS = (performance.now() - connectWall) / 1000;
  // Queries the gateway made while the cameras connected, minus the bench's own polling counts.
  const connectQueries = queries?.take() ?? null;
  const cpu = process.cpuUsage(cpuConnect);
  run.profiles.connect =
    (await profiler?.stop(join(run.resultsDir, `broker-${run.stamp}-aedes-connect.cpuprofile`))) ?? null;
  const memAfter = await settledMemory();
  const workerAfter = await run.gateway.ingestThread.heap();
  snapshot?.("after", connect.connected);
  await idle(o.settleS);
  const memSettled = await settledMemory();
  const memory = memoryFigures(
    Math.max(1, connect.connected),
    [memBefore, memAfter, memSettled],
    [workerBefore, workerAfter],
  );
  console.log(
    `aedes: ${onlineInDb}/${onlineTarget} marked online in the database after ${markedOnlineS.toFixed(1)} s; ${memory.perConnectionKiB.rss} KiB RSS per connection (${memory.perConnectionKiB.rssLessYoungGeneration} less young-generation resizing; ${memory.perConnectionKiB.heapUsed} KiB main heap, ${memory.perConnectionKiB.ingestWorkerHeapTotal ?? "?"} KiB ingest worker heap)`,
    `\n  heap growth by space, MiB committed / used: ${Object.entries(memory.heapSpaces)
      .map(([space, g]) => `${space} ${g.committedMiB} / ${g.usedMiB}`)
      .join(", ")}`,
  );
  return { connect, memory, onlineInDb, allOnline, markedOnlineS, connectQueries, cpu };
}

/**
 * Memory per connection of the broker process. RSS is process-wide, so it includes the ingest worker thread's
 * isolate: its heap growth during the connects is shown apart (total = committed, what RSS sees).
 */
function memoryFigures(
  connections: number,
  [before, after, settled]: SettledMemory[],
  [workerBefore, workerAfter]: (WorkerHeap | null)[],
) {
  const perConnection = (bytes: number) => kib(bytes / connections);
  const worker = workerBefore && workerAfter;
  const newSpace = (m: SettledMemory) => m.spaces.find((space) => space.space_name === "new_space")?.space_size ?? 0;
  const rss = after!.rss - before!.rss;
  return {
    before: { rssMiB: mib(before!.rss), heapUsedMiB: mib(before!.heapUsed) },
    after: { rssMiB: mib(after!.rss), heapUsedMiB: mib(after!.heapUsed) },
    perConnectionKiB: {
      rss: perConnection(rss),
      /** After --settle seconds idle: V8's memory reducer gives back what it grew for the storm. */
      rssSettled: perConnection(settled!.rss - before!.rss),
      /** V8 resizes its young generation (up to ~32 MB, whatever the connections) as the allocation rate goes. */
      rssLessYoungGeneration: perConnection(rss - (newSpace(after!) - newSpace(before!))),
      heapUsed: perConnection(after!.heapUsed - before!.heapUsed),
      heapTotal: perConnection(after!.heapTotal - before!.heapTotal),
      external: perConnection(after!.external - before!.external),
      arrayBuffers: perConnection(after!.arrayBuffers - before!.arrayBuffers),
      ingestWorkerHeapUsed: worker ? perConnection(workerAfter.usedHeapBytes - workerBefore.usedHeapBytes) : null,
      ingestWorkerHeapTotal: worker ? perConnection(workerAfter.totalHeapBytes - workerBefore.totalHeapBytes) : null,
    },
    heapSpaces: heapSpaceGrowth(before!.spaces, after!.spaces),
    ingestWorker: { before: workerBefore, after: workerAfter },
    gcForced: gc !== null,
  };
}

/** --heap-snapshots: writes the broker process's heap before and after the connects. */
function heapSnapshotWriter(run: AedesRun): ((when: "before" | "after", connections?: number) => void) | null {
  if (!run.o.heapSnapshots) return null;
  const path = (when: string) => join(run.resultsDir, `broker-${run.stamp}-${when}.heapsnapshot`);
  return (when, connections) => {
    gc?.();
    const started = performance.now();
    writeHeapSnapshot(path(when));
    console.log(`wrote ${path(when)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (when === "after")
      console.log(
        `compare: node --max-old-space-size=4096 --import tsx bench/heap-diff.ts ${path("before")} ${path("after")} --per ${connections}`,
      );
  };
}

/** Counts what the gateway commits, per batch and per second of the phase, with latencies per heartbeat. */
function heartbeatRecorder(gateway: Gateway, o: Options) {
  const capacity = o.rate * o.durationS + 1024;
  const figures = {
    sendToCommit: new Samples(capacity),
    arrivalToCommit: new Samples(capacity),
    sendToArrival: new Samples(capacity),
    stored: 0,
    batches: 0,
    lastCommitAt: 0,
    maxBatch: 0,
    storedInWindow: 0,
    buckets: [] as number[],
    phaseStart: Infinity,
    phaseEnd: Infinity,
  };
  const unlisten = gateway.onHeartbeatsStored((batch, storedAt) => {
    const committed = storedAt.getTime();
    figures.lastCommitAt = Math.max(figures.lastCommitAt, committed);
    figures.batches++;
    figures.maxBatch = Math.max(figures.maxBatch, batch.length);
    figures.stored += batch.length;
    if (committed <= figures.phaseEnd) figures.storedInWindow += batch.length;
    const bucket = Math.max(0, Math.floor((committed - figures.phaseStart) / 1000));
    figures.buckets[bucket] = (figures.buckets[bucket] ?? 0) + batch.length;
    for (const item of batch) {
      const sentAt = Date.parse(item.heartbeat.at);
      const arrivedAt = item.receivedAt.getTime();
      figures.sendToCommit.push(committed - sentAt);
      figures.arrivalToCommit.push(committed - arrivedAt);
      figures.sendToArrival.push(arrivedAt - sentAt);
    }
  });
  return { figures, unlisten };
}

async function aedesHeartbeats(run: AedesRun, partial: unknown) {
  const { o, workers, gateway, broker, profiler, queries } = run;
  const { figures, unlisten } = heartbeatRecorder(gateway, o);
  const metricsBefore = { in: broker.metrics.messagesIn, out: broker.metrics.messagesOut };
  const invalidBefore = await invalidPayloads(gateway);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  crashContext.phase = "aedes heartbeats";
  crashContext.partial = partial;
  await profiler?.start();
  const cpuHeartbeats = process.cpuUsage();
  figures.phaseStart = nowMs();
  figures.phaseEnd = figures.phaseStart + o.durationS * 1000;
  loop.enable();
  const timeline = sampleTimeline(broker, gateway, () => figures.stored);
  const phase = await heartbeatPhase(workers, o);
  await drain(() => figures.stored, phase.offered.sent, 5000, 20_000);
  await gateway.heartbeats.flush();
  loop.disable();
  const samples = timeline.stop();
  const cpu = process.cpuUsage(cpuHeartbeats);
  const cpuWallMs = nowMs() - figures.phaseStart;
  const heartbeatQueries = queries?.take() ?? null;
  run.profiles.heartbeats =
    (await profiler?.stop(join(run.resultsDir, `broker-${run.stamp}-aedes-heartbeats.cpuprofile`))) ?? null;
  unlisten();
  const { stored, batches, lastCommitAt } = figures;
  const drainedS = (Math.max(lastCommitAt, phase.endedAt) - phase.startedAt) / 1000;
  const backlogS = (lastCommitAt - phase.endedAt) / 1000;
  const invalid = (await invalidPayloads(gateway)) - invalidBefore;
  const heartbeats = {
    offered: phase.offered,
    stored,
    lost: phase.offered.sent - stored,
    invalidPayloads: invalid,
    batches,
    meanBatch: round(stored / Math.max(1, batches), 0),
    maxBatch: figures.maxBatch,
    storedPerSInWindow: round(figures.storedInWindow / o.durationS, 0),
    storedPerSOverall: round(stored / drainedS, 0),
    secondsUntilAllStored: round(drainedS, 2),
    /** Last commit after the last send: near the flush interval when the gateway kept up, growing with the backlog when not. */
    backlogAtEndS: round(backlogS, 2),
    sustained: stored === phase.offered.sent && backlogS <= 1,
    storedAfterBacklogWait: stored,
    storedPerSecondTimeline: perSecondTimeline(figures.buckets),
    timeline: samples,
    latencyMs: {
      sendToCommit: roundDist(figures.sendToCommit.summary()),
      arrivalToCommit: roundDist(figures.arrivalToCommit.summary()),
      sendToArrival: roundDist(figures.sendToArrival.summary()),
    },
    brokerMessagesIn: broker.metrics.messagesIn - metricsBefore.in,
    brokerMessagesOut: broker.metrics.messagesOut - metricsBefore.out,
    gatewayProcessCpuPercent: round((100 * (cpu.user + cpu.system)) / 1000 / cpuWallMs, 0),
    eventLoopDelayMs: {
      p50: round(loop.percentile(50) / 1e6),
      p99: round(loop.percentile(99) / 1e6),
      max: round(loop.max / 1e6),
    },
  };
  console.log(
    `aedes: ${stored}/${phase.offered.sent} heartbeats stored, ${heartbeats.storedPerSInWindow}/s in the window; p99 send→commit ${heartbeats.latencyMs.sendToCommit.p99} ms`,
  );
  return { heartbeats, heartbeatQueries };
}

function perCamera(counts: Record<string, number>, cameras: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / Math.max(1, cameras), 2)]));
}

interface TimelineSample {
  t: number;
  inPerS: number;
  outPerS: number;
  storedPerS: number;
  /** Messages waiting in aedes' mqemitter (its concurrency is 100): the broker → subscriber backlog. */
  mqQueue: number | null;
  /** Heartbeats received by the gateway and not yet in a flush. */
  writerPending: number | null;
  heapMiB: number;
  rssMiB: number;
  maxLoopDelayMs: number;
}

/** Once a second: the broker's in/out counters, stored heartbeats, internal queues and memory (reads aedes internals). */
function sampleTimeline(broker: WangxiangBroker, gateway: Gateway, stored: () => number): { stop(): TimelineSample[] } {
  const samples: TimelineSample[] = [];
  const start = nowMs();
  let last = { at: start, in: broker.metrics.messagesIn, out: broker.metrics.messagesOut, stored: stored() };
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const timer = setInterval(() => {
    const at = nowMs();
    const seconds = (at - last.at) / 1000;
    const mq = (broker.aedes as { mq?: { _messageQueue?: unknown[] } } | undefined)?.mq?._messageQueue;
    const pending = (gateway.heartbeats as unknown as { pending?: unknown[] }).pending;
    const memory = process.memoryUsage();
    const sample: TimelineSample = {
      t: round((at - start) / 1000, 1),
      inPerS: Math.round((broker.metrics.messagesIn - last.in) / seconds),
      outPerS: Math.round((broker.metrics.messagesOut - last.out) / seconds),
      storedPerS: Math.round((stored() - last.stored) / seconds),
      mqQueue: Array.isArray(mq) ? mq.length : null,
      writerPending: Array.isArray(pending) ? pending.length : null,
      heapMiB: mib(memory.heapUsed),
      rssMiB: mib(memory.rss),
      maxLoopDelayMs: round(delay.max / 1e6, 0),
    };
    samples.push(sample);
    // Live, so that the figures survive a broker that falls over.
    console.log(
      `  t=${sample.t}s in/s=${sample.inPerS} out/s=${sample.outPerS} stored/s=${sample.storedPerS} mq=${sample.mqQueue} pending=${sample.writerPending} heap=${sample.heapMiB}MiB rss=${sample.rssMiB}MiB loop-delay-max=${sample.maxLoopDelayMs}ms`,
    );
    delay.reset();
    last = { at, in: broker.metrics.messagesIn, out: broker.metrics.messagesOut, stored: stored() };
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      delay.disable();
      return samples;
    },
  };
}

async function invalidPayloads(gateway: Gateway): Promise<number> {
  const metric = await gateway.metrics.mqttInvalidPayloads.get();
  return metric.values.reduce((s, v) => s + v.value, 0);
}

// ── the other brokers: Mosquitto and aedes alone ───────────────────────────────────────────────────
const heartbeatSubscriber = {
  deviceId: "wx-bench-subscriber",
  password: Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2),
};

async function mosquittoTarget(o: Options, cameras: CameraCredential[]): Promise<ReferenceBroker> {
  return o.mosquitto === "private"
    ? await privateMosquitto([...cameras, heartbeatSubscriber], Math.max(65_536, o.cameras + 1000))
    : systemMosquitto();
}

/** A broker other than ours, through the same phases: `name` labels its progress lines. */
async function benchReference(
  name: string,
  target: ReferenceBroker,
  o: Options,
  workers: Worker[],
  cameras: CameraCredential[],
) {
  const subscriber = heartbeatSubscriber;
  let sub: MqttClient | null = null;
  try {
    if (target.maxOpenFiles !== null && target.maxOpenFiles < o.cameras + 50) {
      console.warn(
        `warning: ${target.description} may open at most ${target.maxOpenFiles} files, fewer than ${o.cameras} connections`,
      );
    }
    const listener = await subscribeToHeartbeats(target.url, subscriber, o);
    sub = listener.client;
    await new Promise((r) => setTimeout(r, 500));
    const { connect, memory } = await referenceConnect(name, target, o, workers, cameras);
    const heartbeats = await referenceHeartbeats(name, target, o, workers, listener);
    const closeStart = performance.now();
    const closed = await closePhase(workers, true);
    return {
      broker: target.description,
      authenticates: target.authenticates,
      maxOpenFiles: target.maxOpenFiles,
      connect,
      memory,
      heartbeats,
      close: { ...closed, seconds: round((performance.now() - closeStart) / 1000, 2) },
    };
  } finally {
    await sub?.endAsync(true).catch(() => undefined);
    await target.stop();
  }
}

/** Every camera connects: the rate, the broker's CPU per CONNECT, its memory per connection. */
async function referenceConnect(
  name: string,
  target: ReferenceBroker,
  o: Options,
  workers: Worker[],
  cameras: CameraCredential[],
) {
  await idle(o.settleS);
  const heapBefore = await target.heapUsedBytes?.();
  const rssBefore = vmRssBytes(target.pid);
  const connectCpuStart = procCpuMs(target.pid);
  const connect = await connectPhase(workers, target.url, cameras, o);
  const connectCpuEnd = procCpuMs(target.pid);
  console.log(
    `${name}: ${connect.connected}/${connect.attempted} connected in ${connect.seconds} s (${connect.connectsPerS}/s), ${connect.failed} failed`,
  );
  await new Promise((r) => setTimeout(r, 1000));
  const rssAfter = vmRssBytes(target.pid);
  const heapAfter = await target.heapUsedBytes?.();
  await idle(o.settleS);
  const rssSettled = vmRssBytes(target.pid);
  const perConnection = (bytes: number) => kib(bytes / Math.max(1, connect.connected));
  const memory = {
    beforeMiB: mib(rssBefore),
    afterMiB: mib(rssAfter),
    perConnectionKiB: {
      rss: perConnection(rssAfter - rssBefore),
      rssSettled: perConnection(rssSettled - rssBefore),
      heapUsed: heapBefore === undefined || heapAfter === undefined ? null : perConnection(heapAfter - heapBefore),
    },
  };
  const cpuPerConnectUs =
    connectCpuStart === null || connectCpuEnd === null
      ? null
      : round((1000 * (connectCpuEnd - connectCpuStart)) / Math.max(1, connect.connected), 0);
  return { connect: { ...connect, cpuPerConnectUs }, memory };
}

/** Heartbeats at the rate asked, counted and timed by the one subscriber. */
async function referenceHeartbeats(
  name: string,
  target: ReferenceBroker,
  o: Options,
  workers: Worker[],
  listener: Awaited<ReturnType<typeof subscribeToHeartbeats>>,
) {
  const { received, latency } = listener;
  const cpuStart = procCpuMs(target.pid);
  const phaseStart = nowMs();
  listener.windowEnd = phaseStart + o.durationS * 1000;
  const run = await heartbeatPhase(workers, o);
  await drain(() => received.count, run.offered.sent, 3000, 20_000);
  const cpuEnd = procCpuMs(target.pid);
  const cpuWallMs = nowMs() - phaseStart;
  const drainedS = (Math.max(received.lastAt, run.endedAt) - run.startedAt) / 1000;
  const cpuMs = cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart;
  const heartbeats = {
    offered: run.offered,
    delivered: received.count,
    lost: run.offered.sent - received.count,
    deliveredPerSInWindow: round(received.inWindow / o.durationS, 0),
    deliveredPerSOverall: round(received.count / drainedS, 0),
    latencyMs: { sendToSubscriber: roundDist(latency.summary()) },
    brokerCpuPercent: cpuMs === null ? null : round((100 * cpuMs) / cpuWallMs, 0),
  };
  console.log(
    `${name}: ${received.count}/${run.offered.sent} heartbeats delivered, ${heartbeats.deliveredPerSInWindow}/s in the window`,
  );
  return heartbeats;
}

/** The one subscriber, as the gateway is for aedes: every heartbeat of every camera, counted and timed. */
async function subscribeToHeartbeats(url: string, subscriber: { deviceId: string; password: string }, o: Options) {
  const listener = {
    client: null as unknown as MqttClient,
    received: { count: 0, inWindow: 0, lastAt: 0 },
    latency: new Samples(o.rate * o.durationS + 1024),
    /** Heartbeats received after this are outside the measured window. */
    windowEnd: Infinity,
  };
  listener.client = await new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(url, {
      protocolVersion: 4,
      clientId: `wx-bench-sub-${process.pid}`,
      username: subscriber.deviceId,
      password: subscriber.password,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    c.once("connect", () =>
      c.subscribe("devices/+/telemetry", { qos: 1 }, (error) => (error ? reject(error) : resolve(c))),
    );
    c.once("error", reject);
  });
  listener.client.on("message", (_topic, payload) => {
    const now = nowMs();
    listener.received.count++;
    listener.received.lastAt = now;
    if (now <= listener.windowEnd) listener.received.inWindow++;
    const at = /"at":"([^"]+)"/.exec(payload.toString("latin1"));
    if (at) listener.latency.push(now - Date.parse(at[1]!));
  });
  return listener;
}

/** CPU time (user+system) of a process in ms, from /proc/<pid>/stat. */
function procCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of stat)
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

// ── report ─────────────────────────────────────────────────────────────────────────────────────────
type AedesResult = Awaited<ReturnType<typeof benchAedes>>;
type ReferenceResult = Awaited<ReturnType<typeof benchReference>>;

/** The brokers measured beside ours in the same run; null when skipped or failed. */
interface References {
  aedesAlone: ReferenceResult | null;
  mosquitto: ReferenceResult | null;
}

function ratio(a: number | null | undefined, b: number | null | undefined): string | null {
  if (
    a === null ||
    a === undefined ||
    b === null ||
    b === undefined ||
    !Number.isFinite(a) ||
    !Number.isFinite(b) ||
    b === 0
  )
    return null;
  return `${(a / b).toFixed(2)}×`;
}

function printReport(o: Options, a: AedesResult, refs: References): string {
  const hb = a.heartbeats;
  const { aedesAlone: alone, mosquitto: m } = refs;
  const rows: (string | number | null)[][] = [
    ["figure", "aedes + gateway", "aedes alone", "mosquitto", "ours / mosquitto", "ours / aedes alone"],
    ...connectRows(o, a, refs),
    ...heartbeatRows(a, refs),
  ];
  const lines = [
    "",
    `Wangxiang broker bench — ${o.cameras} cameras, ${o.rate} heartbeats/s offered for ${o.durationS} s, QoS ${o.qos}, ${o.workers} load workers`,
    `provisioning: ${a.provisioning.cameras} credentials hashed (HMAC-SHA-256) in ${a.provisioning.hashSeconds} s (${a.provisioning.hashesPerS}/s), inserted in ${a.provisioning.insertSeconds} s`,
    m ? `mosquitto: ${m.broker}${m.authenticates ? "" : " — no password check, unlike aedes"}` : "mosquitto: skipped",
    alone ? `aedes alone: ${alone.broker}` : "aedes alone: skipped",
    "",
    table(rows),
    "",
    `heartbeat batches: ${hb.batches} (mean ${hb.meanBatch}, max ${hb.maxBatch} rows); event-loop delay of the broker process p50/p99/max ${hb.eventLoopDelayMs.p50}/${hb.eventLoopDelayMs.p99}/${hb.eventLoopDelayMs.max} ms; load workers' longest pacing gap ${hb.offered.maxTickGapMs} ms`,
    "",
    "broker process, once a second during heartbeats (in = PUBLISHes accepted from cameras, out = forwarded to the gateway):",
    timelineTable(hb),
    "",
    ...verdictLines(a),
    ...queryAndProfileLines(a),
  ];
  return lines.join("\n");
}

type Cell = string | number | null;

/** A row of one figure: ours, aedes alone's and Mosquitto's, and ours against each of theirs. */
function figureRow(
  label: string,
  ours: number,
  figure: (r: ReferenceResult) => number | null,
  refs: References,
): Cell[] {
  const alone = refs.aedesAlone ? figure(refs.aedesAlone) : null;
  const m = refs.mosquitto ? figure(refs.mosquitto) : null;
  return [label, ours, alone, m, ratio(ours, m), ratio(ours, alone)];
}

/** A figure only our broker has (the database, the ingest worker, V8's young generation). */
const oursOnlyRow = (label: string, ours: Cell): Cell[] => [label, ours, "n/a", "n/a", null, null];

/** A row of text for each broker, no ratios. */
function textRow(label: string, ours: string, text: (r: ReferenceResult) => string, refs: References): Cell[] {
  const cell = (r: ReferenceResult | null) => (r ? text(r) : null);
  return [label, ours, cell(refs.aedesAlone), cell(refs.mosquitto), null, null];
}

function connectRows(o: Options, a: AedesResult, refs: References): Cell[][] {
  const p50p99 = (d: Distribution) => `${d.p50} / ${d.p99}`;
  return [
    textRow(
      "cameras connected",
      `${a.connect.connected}/${a.connect.attempted}`,
      (r) => `${r.connect.connected}/${r.connect.attempted}`,
      refs,
    ),
    figureRow("connect rate (CONNACKs/s)", a.connect.connectsPerS, (r) => r.connect.connectsPerS, refs),
    figureRow("time to all CONNACKed (s)", a.connect.seconds, (r) => r.connect.seconds, refs),
    figureRow("broker process CPU per CONNECT (µs)", a.connect.cpuPerConnectUs, (r) => r.connect.cpuPerConnectUs, refs),
    textRow("CONNECT→CONNACK p50 / p99 (ms)", p50p99(a.connect.connackMs), (r) => p50p99(r.connect.connackMs), refs),
    figureRow("time to all online status acked (s)", a.connect.onlineSeconds, (r) => r.connect.onlineSeconds, refs),
    oursOnlyRow(
      "all marked online in DB (s)",
      `${a.connect.markedOnlineInDb}/${a.connect.attempted} in ${a.connect.secondsUntilAllOnlineInDb}`,
    ),
    figureRow(
      "memory per connection, RSS (KiB)",
      a.memory.perConnectionKiB.rss,
      (r) => r.memory.perConnectionKiB.rss,
      refs,
    ),
    oursOnlyRow("  RSS less V8's young-generation resizing (KiB)", a.memory.perConnectionKiB.rssLessYoungGeneration),
    figureRow(
      `  RSS after ${o.settleS} s idle (KiB)`,
      a.memory.perConnectionKiB.rssSettled,
      (r) => r.memory.perConnectionKiB.rssSettled,
      refs,
    ),
    figureRow(
      "memory per connection, JS heap (KiB)",
      a.memory.perConnectionKiB.heapUsed,
      (r) => r.memory.perConnectionKiB.heapUsed,
      refs,
    ),
    oursOnlyRow("memory per connection, ingest worker heap (KiB)", a.memory.perConnectionKiB.ingestWorkerHeapTotal),
    textRow(
      "broker process RSS before → after (MiB)",
      `${a.memory.before.rssMiB} → ${a.memory.after.rssMiB}`,
      (r) => `${r.memory.beforeMiB} → ${r.memory.afterMiB}`,
      refs,
    ),
  ];
}

function heartbeatRows(a: AedesResult, refs: References): Cell[][] {
  const hb = a.heartbeats;
  const lat = hb.latencyMs;
  const spread = (d: Distribution) => `${d.p50} / ${d.p95} / ${d.p99}`;
  return [
    textRow(
      "heartbeats offered (sent/s)",
      `${hb.offered.sent} (${hb.offered.offeredPerS}/s)`,
      (r) => `${r.heartbeats.offered.sent} (${r.heartbeats.offered.offeredPerS}/s)`,
      refs,
    ),
    figureRow(
      "delivered/s in window (aedes + gateway: stored)",
      hb.storedPerSInWindow,
      (r) => r.heartbeats.deliveredPerSInWindow,
      refs,
    ),
    figureRow("delivered/s until drained", hb.storedPerSOverall, (r) => r.heartbeats.deliveredPerSOverall, refs),
    figureRow(
      "not delivered by the end (still queued in the broker, or lost)",
      hb.lost,
      (r) => r.heartbeats.lost,
      refs,
    ),
    ["send→commit p50/p95/p99 (ms)", spread(lat.sendToCommit), null, null, null, null],
    ["arrival→commit p50/p95/p99 (ms)", spread(lat.arrivalToCommit), null, null, null, null],
    textRow(
      "send→arrival (→subscriber) p50/p95/p99 (ms)",
      spread(lat.sendToArrival),
      (r) => spread(r.heartbeats.latencyMs.sendToSubscriber),
      refs,
    ),
    textRow(
      "broker process CPU during heartbeats",
      `${hb.gatewayProcessCpuPercent}%`,
      (r) => (r.heartbeats.brokerCpuPercent === null ? "?" : `${r.heartbeats.brokerCpuPercent}%`),
      refs,
    ),
  ];
}

/** The load workers pace to within a few per second of the rate asked: 10k/s offered, and stored as fast as offered. */
function keptUpWithTenThousand(hb: AedesResult["heartbeats"]): boolean {
  return hb.offered.offeredPerS >= 9_900 && hb.storedPerSInWindow >= 0.99 * hb.offered.offeredPerS && hb.lost === 0;
}

function verdictLines(a: AedesResult): string[] {
  const hb = a.heartbeats;
  const lat = hb.latencyMs;
  return [
    `target 10k cameras on one broker process: ${a.connect.connected >= 10_000 && a.connect.allMarkedOnline ? "met" : a.connect.attempted < 10_000 ? `not tested (N=${a.connect.attempted})` : "NOT met"}`,
    `target ≥10k heartbeats/s stored: ${keptUpWithTenThousand(hb) ? "met" : "NOT met"} (${hb.storedPerSInWindow}/s in the window, offered ${hb.offered.offeredPerS}/s); sustained at the offered rate: ${hb.sustained ? "yes" : `no (last commit ${hb.backlogAtEndS} s after the last send)`}; lost: ${hb.lost}`,
    `target p99 send→commit < 100 ms: ${lat.sendToCommit.p99 < 100 ? "met" : "NOT met"} (${lat.sendToCommit.p99} ms)`,
  ];
}

function timelineTable(hb: AedesResult["heartbeats"]): string {
  return table([
    ["t (s)", "in/s", "out/s", "stored/s", "mq queue", "writer pending", "heap MiB", "rss MiB", "max loop delay ms"],
    ...hb.timeline.map((x) => [
      x.t,
      x.inPerS,
      x.outPerS,
      x.storedPerS,
      x.mqQueue,
      x.writerPending,
      x.heapMiB,
      x.rssMiB,
      x.maxLoopDelayMs,
    ]),
  ]);
}

/** Prisma query counts (with --count-queries) and CPU profiles (with --profile), when the run took them. */
function queryAndProfileLines(a: AedesResult): string[] {
  const lines: string[] = [];
  if (a.queries) {
    const fmt = (counts: Record<string, number> | null) =>
      Object.entries(counts ?? {})
        .sort((x, y) => y[1] - x[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
    lines.push(
      `gateway Prisma queries per connecting camera: ${fmt(a.queries.perConnect)}`,
      `gateway Prisma queries during heartbeats: ${fmt(a.queries.heartbeats)}`,
    );
  }
  for (const [phase, p] of Object.entries(a.profiles)) {
    if (!p) continue;
    lines.push(
      "",
      `CPU profile (${phase}): ${p.file}`,
      table([["package", "self ms", "%"], ...p.byPackage.slice(0, 10).map((r) => [r.name, r.selfMs, r.share])]),
      "",
      table([["function", "self ms", "%"], ...p.topFunctions.slice(0, 15).map((r) => [r.name, r.selfMs, r.share])]),
    );
  }
  return lines;
}

/** The run's figures as JSON in bench/results (also after a crash, with what was measured by then). */
function writeResultsFile(
  { o, loadAtStart, wallStart }: { o: Options; loadAtStart: number[]; wallStart: number },
  aedesFigures: AedesResult | null,
  { aedesAlone: alone, mosquitto }: References,
  crashed: { phase: string; error: string } | null,
): void {
  const mosquittoVersion = spawnSync("mosquitto", ["-h"], { encoding: "utf8" }).stdout.split("\n")[0] ?? null;
  writeFileSync(
    crashContext.resultsFile!,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        options: o,
        crashed,
        machine: {
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
          memoryGiB: round(totalmem() / 2 ** 30, 1),
          node: process.version,
          mosquitto: mosquittoVersion,
          openFileLimit: softNoFile(),
        },
        aedes: aedesFigures,
        aedesAlone: alone,
        mosquitto,
        ratiosToAedesAlone:
          alone && aedesFigures
            ? {
                connectRate: ratio(aedesFigures.connect.connectsPerS, alone.connect.connectsPerS),
                memoryPerConnectionRss: ratio(
                  aedesFigures.memory.perConnectionKiB.rss,
                  alone.memory.perConnectionKiB.rss,
                ),
              }
            : null,
        ratios:
          mosquitto && aedesFigures
            ? {
                connectRate: ratio(aedesFigures.connect.connectsPerS, mosquitto.connect.connectsPerS),
                memoryPerConnectionRss: ratio(
                  aedesFigures.memory.perConnectionKiB.rss,
                  mosquitto.memory.perConnectionKiB.rss,
                ),
                deliveredPerS: ratio(
                  aedesFigures.heartbeats.storedPerSInWindow,
                  mosquitto.heartbeats.deliveredPerSInWindow,
                ),
              }
            : null,
        loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((x) => round(x, 2)) },
        wallSeconds: round((performance.now() - wallStart) / 1000, 1),
      },
      null,
      2,
    ),
  );
  console.log(
    `load average at start ${loadAtStart.join(" ")}, at end ${loadavg()
      .map((x) => round(x, 2))
      .join(" ")} (${cpus().length} CPUs)`,
  );
  console.log(
    `\nwrote ${crashContext.resultsFile} (whole run ${((performance.now() - wallStart) / 1000).toFixed(0)} s)`,
  );
}

/** Asks each load worker to exit, and kills one that has not within 5 s. */
async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => w.child.once("exit", () => resolve()));
      w.child.send({ type: "exit" } satisfies ToWorker);
      const timer = setTimeout(() => w.child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

// ── main ───────────────────────────────────────────────────────────────────────────────────────────
/** One reference broker's run; a failure is reported and leaves its column empty. */
async function referenceRun(
  name: string,
  start: () => Promise<ReferenceBroker>,
  o: Options,
  workers: Worker[],
  cameras: CameraCredential[],
): Promise<ReferenceResult | null> {
  crashContext.phase = name;
  try {
    return await benchReference(name, await start(), o, workers, cameras);
  } catch (error) {
    console.error(`${name} part failed: ${(error as Error).message}`);
    return null;
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  ensureOpenFileLimit(o.cameras + 2000);
  const resultsDir = join(root, "bench", "results");
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:]/g, "-").replace(/\..*$/, "");
  const wallStart = performance.now();
  const loadAtStart = loadavg().map((x) => round(x, 2));
  if (loadAtStart[0]! > cpus().length * 0.5)
    console.warn(
      `note: load average ${loadAtStart.join(" ")} on ${cpus().length} CPUs — other work on this machine skews the figures`,
    );
  const workers = startWorkers(o.workers);
  crashContext.workers = workers.map((w) => w.child);
  crashContext.resultsFile = join(resultsDir, `broker-${stamp}.json`);
  const writeResults = (aedesFigures: AedesResult | null, crashed: { phase: string; error: string } | null) =>
    writeResultsFile({ o, loadAtStart, wallStart }, aedesFigures, crashContext.references, crashed);
  process.on("uncaughtException", (error) => {
    // Most likely aedes falling over under the load (it runs in this process): report what was measured, stop the cameras, exit 2.
    console.error(
      `\nBROKER PROCESS CRASHED during ${crashContext.phase}: ${error.stack?.split("\n").slice(0, 4).join("\n")}`,
    );
    try {
      if (crashContext.aedes) console.log(printReport(o, crashContext.aedes, crashContext.references));
      writeResults(crashContext.aedes, { phase: crashContext.phase, error: String(error) });
    } finally {
      for (const child of crashContext.workers) child.kill("SIGTERM");
      process.exit(2);
    }
  });
  try {
    await Promise.all(workers.map((w) => w.ready));
    const cameras = makeCredentials(o.cameras);
    // The other brokers first: their figures are in hand even if the embedded broker falls over later.
    const refs = crashContext.references;
    if (o.mosquitto !== "none")
      refs.mosquitto = await referenceRun("mosquitto", () => mosquittoTarget(o, cameras), o, workers, cameras);
    if (!o.skipAedesAlone) refs.aedesAlone = await referenceRun("aedes alone", aedesAlone, o, workers, cameras);
    const aedes = await benchAedes(o, workers, cameras, resultsDir, stamp);
    console.log(printReport(o, aedes, refs));
    writeResults(aedes, null);
  } finally {
    await stopWorkers(workers);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
