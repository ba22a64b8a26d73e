// `npm run bench:sigkill -- [--cameras 10000] [--fleets 2] [--database sqlite|postgres] [--time-limit 900]`
// A broker restart under a full fleet: one standalone broker process (broker/src/main.ts), the gateway in this
// process against it (EMBEDDED_BROKER=0), N simulated cameras (firmware-sim, in --fleets child processes) with
// the simulator's own reconnect policy (full-jitter exponential backoff, 1 s base, 60 s cap). Once the database
// has every camera online, the broker is SIGKILLed and started again on the same port at once (what a
// supervisor does); the figure is the time from the kill until the database has every camera online again
// through its new connection (its new session recorded). Target (issue 11): within 20 s at 10,000 cameras.
// Prints a line per second and writes bench/results/broker-sigkill-<date>.json.
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Database } from "../core/database.ts";
import { randomId } from "../core/secrets.ts";
import { defaultBackoff } from "../device-client/src/backoff.ts";
import type { Gateway } from "../gateway/src/app.ts";
import {
  servicePassword,
  startBrokerProcess,
  startClusterGateway,
  type BrokerProcess,
} from "../test/helpers/cluster.ts";
import type { FleetStart } from "../test/helpers/fleet-process.ts";
import { writeSimulatorState } from "../test/helpers/sim-state.ts";
import { openBenchDatabase, type BenchDatabase } from "./bench-database.ts";
import { benchSerial, makeCredentials, provisionCameras } from "./provision.ts";
import { round } from "./stats.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    cameras: { type: "string" },
    fleets: { type: "string" },
    database: { type: "string" },
    "time-limit": { type: "string" },
  },
});
const CAMERAS = Number(values.cameras ?? 10_000);
const FLEETS = Math.max(1, Number(values.fleets ?? 2));
const DATABASE = values.database === "postgres" ? "postgres" : "sqlite";
const TIME_LIMIT_S = Number(values["time-limit"] ?? 900);
const TARGET_S = 20;

const phase = (what: string) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${what}`);
const cleanups: Array<() => Promise<unknown> | unknown> = [];
let finished = false;
async function cleanup(): Promise<void> {
  finished = true;
  for (const step of cleanups.splice(0).reverse())
    await Promise.resolve()
      .then(step)
      .catch(() => undefined);
}
const limit = setTimeout(() => {
  console.error(`time limit of ${TIME_LIMIT_S} s reached`);
  void cleanup().finally(() => process.exit(2));
}, TIME_LIMIT_S * 1000);
limit.unref();

/** Cameras in the database as a claim leaves them, and in the simulator's state files as the camera keeps them. */
async function provision(database: BenchDatabase, stateDir: string, mqttUrl: string) {
  const credentials = makeCredentials(CAMERAS);
  const { cameras } = await provisionCameras(database.db, credentials);
  const withSerials = cameras.map((c, i) => ({ ...c, serial: benchSerial(i) }));
  writeSimulatorState(stateDir, withSerials, { mqttUrl, heartbeatIntervalS: 30, keepaliveS: 60 });
  return withSerials;
}

function startFleets(stateDir: string, gatewayUrl: string, mqttUrl: string, serials: string[]) {
  const online = new Array<number>(FLEETS).fill(0);
  const children: ChildProcess[] = [];
  for (let f = 0; f < FLEETS; f++) {
    const child = fork(join(root, "test/helpers/fleet-process.ts"), [], {
      cwd: root,
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    cleanups.push(() => child.kill("SIGKILL"));
    children.push(child);
    const start: FleetStart = {
      type: "start",
      stateDir,
      gatewayUrl,
      mqttUrl,
      cameras: serials.filter((_, i) => i % FLEETS === f).map((serial) => ({ serial, claimCode: "UNUSEDCO" })),
      heartbeatIntervalS: 30,
      keepaliveS: 60,
      reconnectBackoff: defaultBackoff,
      persistentSession: false,
      startSpreadMs: 10_000,
    };
    child.once("exit", (code, signal) => {
      if (finished) return;
      console.error(`fleet process ${f} exited (${code ?? signal}) during the run`);
      void cleanup().finally(() => process.exit(1));
    });
    child.on("message", (m: { type: string; online?: number }) => {
      if (m.type === "ready") child.send(start);
      if (m.type === "status") online[f] = m.online ?? 0;
    });
  }
  return { children, online: () => online.reduce((a, b) => a + b, 0) };
}

/** Cameras the database has online, and how many of those through a session other than `before`'s. */
async function databaseView(db: Database, before: Map<string, string | null> | null) {
  const rows = await db.device.findMany({ where: { connection: "online" }, select: { id: true, sessionId: true } });
  const renewed = before ? rows.filter((r) => r.sessionId !== null && r.sessionId !== before.get(r.id)).length : 0;
  return { online: rows.length, renewed, sessions: new Map(rows.map((r) => [r.id, r.sessionId])) };
}

/** Polls until `done` or `maxS`, printing a line a second; returns the seconds from `since` when done, else null. */
async function watch(
  what: string,
  since: number,
  maxS: number,
  probe: () => Promise<{ done: boolean; line: string }>,
): Promise<number | null> {
  let lastPrint = 0;
  for (;;) {
    const { done, line } = await probe();
    const elapsedS = (Date.now() - since) / 1000;
    if (done) {
      phase(`${what}: done after ${elapsedS.toFixed(1)} s (${line})`);
      return round(elapsedS, 2);
    }
    if (elapsedS > maxS) {
      phase(`${what}: not done after ${maxS} s (${line})`);
      return null;
    }
    if (Date.now() - lastPrint >= 1000) {
      lastPrint = Date.now();
      phase(`${what} t=${elapsedS.toFixed(1)}s ${line}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function startGateway(database: BenchDatabase, brokerUrl: string): Promise<{ gateway: Gateway; url: string }> {
  const { gateway, httpUrl } = await startClusterGateway(database.db, database.url, {
    MQTT_URL: brokerUrl,
    SEED_DEMO_DATA: "0",
    HEARTBEAT_FLUSH_MS: "50",
    LOG_LEVEL: "silent",
  });
  cleanups.push(() => gateway.stop());
  return { gateway, url: httpUrl };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((x) => round(x, 2));
  phase(`${CAMERAS} cameras, ${FLEETS} fleet processes, ${DATABASE}; load average ${loadAtStart.join(" ")}`);
  const database = await openBenchDatabase(DATABASE);
  cleanups.push(() => database.drop());
  // Connection limits as startBrokerProcess sets them (5,000/s): every simulated camera comes from 127.0.0.1.
  const brokerEnv = { DATABASE_URL: database.url, MQTT_SERVICE_PASSWORD: servicePassword };
  let broker: BrokerProcess = await startBrokerProcess(brokerEnv);
  cleanups.push(() => broker.stop());
  const stateDir = join(root, "data", "bench-sigkill", randomId("run_", 6));
  cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
  const cameras = await provision(database, stateDir, broker.url);
  const { url: gatewayUrl } = await startGateway(database, broker.url);
  phase(`provisioned; broker pid ${broker.child.pid} on ${broker.url}`);

  const coldStart = Date.now();
  const fleets = startFleets(
    stateDir,
    gatewayUrl,
    broker.url,
    cameras.map((c) => c.serial),
  );
  let view = await databaseView(database.db, null);
  const coldS = await watch("cold start", coldStart, 600, async () => {
    view = await databaseView(database.db, null);
    return { done: view.online >= CAMERAS, line: `fleet ${fleets.online()}, database ${view.online} online` };
  });
  const before = view.sessions;

  const killedAt = Date.now();
  broker.child.kill("SIGKILL");
  await broker.exited;
  broker = await startBrokerProcess(brokerEnv, broker.port);
  const restartS = round((Date.now() - killedAt) / 1000, 2);
  phase(`broker SIGKILLed and listening again after ${restartS} s (pid ${broker.child.pid})`);
  const recoveredS = await watch("after SIGKILL", killedAt, 300, async () => {
    const now = await databaseView(database.db, before);
    return {
      done: now.renewed >= CAMERAS,
      line: `fleet ${fleets.online()}, database ${now.renewed}/${CAMERAS} online on their new connection`,
    };
  });
  report({ loadAtStart, coldS, restartS, recoveredS });
}

function report(figures: { loadAtStart: number[]; coldS: number | null; restartS: number; recoveredS: number | null }) {
  const loadAtEnd = loadavg().map((x) => round(x, 2));
  const met = figures.recoveredS !== null && figures.recoveredS <= TARGET_S;
  console.log(`
broker SIGKILL with ${CAMERAS} cameras (${DATABASE}, simulator backoff ${defaultBackoff.baseMs}/${defaultBackoff.capMs} ms)
  all online in the database, cold start:          ${figures.coldS ?? "not reached"} s
  broker listening again after the kill:           ${figures.restartS} s
  all online again in the database after the kill: ${figures.recoveredS ?? "not reached"} s (target ≤ ${TARGET_S} s: ${met ? "met" : "NOT met"})
  load average at start ${figures.loadAtStart.join(" ")}, at end ${loadAtEnd.join(" ")} (${cpus().length} CPUs)`);
  const dir = join(root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `broker-sigkill-${new Date().toISOString().replace(/[:]/g, "-").replace(/\..*$/, "")}.json`);
  const options = { cameras: CAMERAS, fleets: FLEETS, database: DATABASE, backoff: defaultBackoff };
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), options, ...figures, loadAtEnd, met }, null, 2));
  console.log(`wrote ${file}`);
}

main()
  .then(cleanup)
  .then(
    () => process.exit(0),
    async (error: unknown) => {
      console.error(error);
      await cleanup();
      process.exit(1);
    },
  );
