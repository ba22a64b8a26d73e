// HTTP API bench: the gateway (its own process, as deployed) over a county's data (10,000 cameras in 2,000
// households, 5,000 family members), against bare Fastify started in the same run. autocannon (the Fastify
// ecosystem's load tool) drives each route; WebSocket opens are driven by `ws` clients.
//
//   npm run bench:api -- --database sqlite,postgres --duration 8 --rounds 2
//
// Prints a table per database and writes bench/results/api-<date>.json. Options: see usage() below.
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { openBenchDatabase, type BenchDatabase } from "./bench-database.ts";
import type { FromGatewayChild, ToGatewayChild } from "./api-gateway-child.ts";
import { seedCounty, type Seeded } from "./api-seed.ts";
import { openLiveSockets, type LoadResult, routeScenarios, signInDuringList } from "./api-scenarios.ts";
import { round, table } from "./stats.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const resultsDir = join(root, "bench/results");
const PASSWORD = "bench-password-123";

function usage(): string {
  return `usage: npm run bench:api -- [options]
  --database D       sqlite, postgres or both, comma-separated                   (default sqlite,postgres)
  --duration S       seconds each route is loaded, after a 2 s warm-up           (default 8)
  --connections C    connections autocannon keeps open (sign-in uses 10)         (default 50)
  --rounds N         times the whole series runs, bare Fastify first each time   (default 2)
  --routes a,b       only these scenarios (names as in the table)
  --cameras N        cameras (households are N/5, family members N/2)            (default 10000)
  --gateway-tree DIR run the gateway from another checkout of this repository (e.g. a worktree of main
                     with node_modules and generated/ linked), to measure before and after in one session
  --log-level L      the gateway's LOG_LEVEL (its stdout goes to /dev/null)      (default info)
  --profile          CPU-profile the gateway process during each scenario
                     (bench/results/api-<db>-<scenario>.cpuprofile, top functions printed)
  --count-queries    Prisma queries per request, by model and operation (adds overhead: not headline figures)`;
}

export interface Options {
  databases: ("sqlite" | "postgres")[];
  durationS: number;
  connections: number;
  rounds: number;
  routes: string[] | null;
  cameras: number;
  logLevel: string;
  gatewayTree: string;
  profile: boolean;
  countQueries: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    databases: ["sqlite", "postgres"],
    durationS: 8,
    connections: 50,
    rounds: 2,
    routes: null,
    cameras: 10_000,
    logLevel: "info",
    gatewayTree: root,
    profile: false,
    countQueries: false,
  };
  const positive = (name: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number (got ${value})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => argv[++i];
    if (arg === "--database") {
      const list = (value() ?? "").split(",");
      if (!list.every((d) => d === "sqlite" || d === "postgres"))
        throw new Error("--database is sqlite and/or postgres");
      o.databases = list as Options["databases"];
    } else if (arg === "--duration") o.durationS = positive(arg, value());
    else if (arg === "--connections") o.connections = Math.floor(positive(arg, value()));
    else if (arg === "--rounds") o.rounds = Math.floor(positive(arg, value()));
    else if (arg === "--routes") o.routes = (value() ?? "").split(",");
    else if (arg === "--cameras") o.cameras = Math.floor(positive(arg, value()) / 5) * 5;
    else if (arg === "--log-level") o.logLevel = value() ?? "info";
    else if (arg === "--gateway-tree") o.gatewayTree = value() ?? root;
    else if (arg === "--profile") o.profile = true;
    else if (arg === "--count-queries") o.countQueries = true;
    else if (arg === "--help" || arg === "-h") {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n${usage()}`);
  }
  if (o.durationS > 60) throw new Error("--duration is at most 60 s");
  return o;
}

// ── child processes ─────────────────────────────────────────────────────────────────────────────────
interface Child {
  process: ChildProcess;
  url: string;
  request<T extends FromGatewayChild["type"]>(
    message: ToGatewayChild,
    answer: T,
  ): Promise<Extract<FromGatewayChild, { type: T }>>;
}

async function startChild(script: string, env: Record<string, string>, tree = root): Promise<Child> {
  const child = fork(join(tree, "bench", script), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    child.on("message", (m: FromGatewayChild) => m.type === "ready" && resolve(m.httpPort));
  });
  child.removeAllListeners("exit");
  return {
    process: child,
    url: `http://127.0.0.1:${port}`,
    request: (message, answer) =>
      new Promise((resolve) => {
        const listener = (m: FromGatewayChild) => {
          if (m.type !== answer) return;
          child.off("message", listener);
          resolve(m as never);
        };
        child.on("message", listener);
        child.send(message);
      }),
  };
}

async function stopChild(child: Child): Promise<{ userMs: number; systemMs: number } | null> {
  const exited = new Promise((resolve) => child.process.once("exit", resolve));
  let cpu: { userMs: number; systemMs: number } | null = null;
  child.process.on("message", (m: FromGatewayChild) => {
    if (m.type === "cpu") cpu = { userMs: m.userMs, systemMs: m.systemMs };
  });
  child.process.send({ type: "stop" });
  const timer = setTimeout(() => child.process.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
  return cpu;
}

function gatewayEnv(o: Options, database: BenchDatabase, snapshotDir: string): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    HTTP_PORT: "0",
    HTTP_HOST: "127.0.0.1",
    MQTT_PORT: "0",
    MQTT_HOST: "127.0.0.1",
    SEED_DEMO_DATA: "0",
    RELAY_ENABLED: "0",
    SNAPSHOT_INTERVAL_MIN: "0",
    SNAPSHOT_DIR: snapshotDir,
    LOG_LEVEL: o.logLevel,
    LOG_FORMAT: "json",
    BENCH_COUNT_QUERIES: o.countQueries ? "1" : "0",
  };
}

// ── one database ────────────────────────────────────────────────────────────────────────────────────
export interface Row extends LoadResult {
  database: string;
  round: number;
  load1: number;
  /** The gateway's event loop delay during the scenario (monitorEventLoopDelay). */
  loopP99Ms?: number;
  loopMaxMs?: number;
  /**
   * The gateway process's CPU time (all its threads, user + system) per completed request: what a request costs
   * the gateway whatever else the machine is doing, where req/s moves with the load. 0.5 ms is 2,000 req/s.
   */
  cpuMsPerRequest?: number;
  queriesPerRequest?: Record<string, number>;
  profileTop?: unknown;
}

async function benchBare(o: Options, roundNo: number): Promise<Row> {
  const bare = await startChild("api-bare-fastify.ts", {});
  try {
    const load1 = round1(loadavg()[0]!);
    await autocannon({ url: bare.url, connections: o.connections, duration: 2 });
    const result = await autocannon({ url: bare.url, connections: o.connections, duration: o.durationS });
    return {
      scenario: "bare Fastify",
      database: "-",
      round: roundNo,
      load1,
      requestsPerS: round(result.requests.average, 0),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
    };
  } finally {
    await stopChild(bare);
  }
}

const round1 = (n: number) => round(n, 1);

async function benchDatabase(o: Options, kind: "sqlite" | "postgres", bareRows: Row[]): Promise<Row[]> {
  const database = await openBenchDatabase(kind);
  const snapshotDir = mkdtempSync(join(tmpdir(), "wx-api-bench-stills-"));
  const rows: Row[] = [];
  try {
    // The gateway starts on the empty database, then the county is written: a gateway starting over 10,000
    // cameras with no broker connections would first (rightly) mark every one offline.
    const gateway = await startChild("api-gateway-child.ts", gatewayEnv(o, database, snapshotDir), o.gatewayTree);
    let seeded: Seeded;
    try {
      seeded = await seedCounty(database.db, {
        households: o.cameras / 5,
        cameras: o.cameras,
        familyMembers: o.cameras / 2,
        familySessions: 500,
        password: PASSWORD,
        snapshotDir,
        provider: database.provider,
      });
      console.log(`${kind}: seeded ${JSON.stringify(seeded.counts)} in ${seeded.seedMs} ms`);
      for (let r = 1; r <= o.rounds; r++) {
        if (r > 1 || bareRows.length === 0) bareRows.push(await benchBare(o, r));
        rows.push(...(await runScenarios(o, kind, gateway, seeded, r)));
      }
    } finally {
      const cpu = await stopChild(gateway);
      if (cpu)
        console.log(`${kind}: gateway CPU ${Math.round(cpu.userMs)} ms user, ${Math.round(cpu.systemMs)} ms system`);
    }
  } finally {
    await database.drop();
    rmSync(snapshotDir, { recursive: true, force: true });
  }
  return rows;
}

async function runScenarios(o: Options, kind: string, gateway: Child, seeded: Seeded, r: number): Promise<Row[]> {
  const rows: Row[] = [];
  const scenarios = [
    ...routeScenarios(seeded, PASSWORD),
    { name: "live-socket open", run: (url: string, d: number, c: number) => openLiveSockets(url, seeded, d, c) },
    {
      name: "device list during 20 sign-ins/s",
      run: (url: string, d: number, c: number) => signInDuringList(url, seeded, PASSWORD, d, c),
    },
  ].filter((s) => !o.routes || o.routes.some((name) => s.name.startsWith(name)));
  for (const scenario of scenarios) {
    const load1 = round1(loadavg()[0]!);
    await scenario.run(gateway.url, 2, o.connections); // warm-up, not recorded
    if (o.countQueries) await gateway.request({ type: "queries" }, "queries");
    const before = await gateway.request({ type: "loop" }, "loop");
    if (o.profile) await gateway.request({ type: "profile-start" }, "profile-started");
    const result = await scenario.run(gateway.url, o.durationS, o.connections);
    const loop = await gateway.request({ type: "loop" }, "loop");
    const row: Row = {
      ...result,
      database: kind,
      round: r,
      load1,
      loopP99Ms: round(loop.p99Ms, 1),
      loopMaxMs: round(loop.maxMs, 0),
      cpuMsPerRequest: round((loop.cpuMs - before.cpuMs) / Math.max(1, result.completed ?? 1), 3),
    };
    if (o.profile) row.profileTop = await stopProfile(gateway, kind, scenario.name);
    if (o.countQueries) {
      const { counts } = await gateway.request({ type: "queries" }, "queries");
      const total = Math.max(1, result.completed ?? 1);
      row.queriesPerRequest = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / total, 2)]));
    }
    rows.push(row);
    console.log(
      `${kind} r${r} ${scenario.name}: ${row.requestsPerS} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, ` +
        `CPU ${row.cpuMsPerRequest} ms/request` +
        (row.non2xx ? `, ${row.non2xx} non-2xx` : "") +
        (row.note ? ` (${row.note})` : "") +
        ` [loop p99 ${row.loopP99Ms} ms, max ${row.loopMaxMs} ms; load ${load1}]`,
    );
    if (row.queriesPerRequest) console.log(`  queries/request: ${JSON.stringify(row.queriesPerRequest)}`);
  }
  return rows;
}

async function stopProfile(gateway: Child, kind: string, scenario: string): Promise<unknown> {
  const file = join(resultsDir, `api-${kind}-${scenario.replace(/[^a-z0-9]+/gi, "-")}.cpuprofile`);
  const { summary } = await gateway.request({ type: "profile-stop", file }, "profile");
  const s = summary as { totalMs: number; topFunctions: { name: string; share: number }[]; byPackage: unknown };
  console.log(`  profile ${file}: ${s.totalMs} ms sampled`);
  for (const f of s.topFunctions.slice(0, 12)) console.log(`    ${String(f.share).padStart(5)}%  ${f.name}`);
  return { totalMs: s.totalMs, topFunctions: s.topFunctions.slice(0, 25), byPackage: s.byPackage };
}

// ── report ──────────────────────────────────────────────────────────────────────────────────────────
function report(bare: Row[], rows: Row[]): string {
  const bareByRound = new Map(bare.map((b) => [b.round, b.requestsPerS]));
  const header = [
    "scenario",
    "db",
    "round",
    "req/s",
    "× bare",
    "p50 ms",
    "p99 ms",
    "CPU ms/req",
    "non-2xx",
    "loop max ms",
    "load",
  ];
  const line = (r: Row) => [
    r.scenario,
    r.database,
    r.round,
    r.requestsPerS,
    r.database === "-" ? "1" : round(r.requestsPerS / (bareByRound.get(r.round) ?? NaN), 3),
    r.p50Ms,
    r.p99Ms,
    r.cpuMsPerRequest ?? "–",
    r.non2xx,
    r.loopMaxMs,
    r.load1,
  ];
  return table([header, ...bare.map(line), ...rows.map(line)]);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  mkdirSync(resultsDir, { recursive: true });
  const startedAt = new Date();
  const bare: Row[] = [];
  const rows: Row[] = [];
  for (const kind of o.databases) rows.push(...(await benchDatabase(o, kind, bare)));
  const text = report(bare, rows);
  console.log(`\n${text}`);
  const file = join(resultsDir, `api-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(
    file,
    JSON.stringify({ startedAt, options: o, cpus: cpus().length, cpuModel: cpus()[0]?.model, bare, rows }, null, 2),
  );
  console.log(`\nwritten ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
