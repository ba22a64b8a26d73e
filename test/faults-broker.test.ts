// Fault: one of two broker processes is SIGKILLed under 2,000 simulated cameras.
// Cameras know one address, a TCP round-robin standing in for the deployment's load balancer; those on the
// dead broker reconnect through it (to the surviving broker, or to the dead one once restarted) with
// full-jitter backoff. Cameras keep persistent sessions (clean=false), so QoS 1 commands published while
// they were away wait in Redis and are delivered when they come back, whichever broker that is.
import { fork, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { writeSimulatorState } from "./helpers/sim-state.ts";
import { afterAll, expect, it } from "vitest";
import type { Database } from "../core/database.ts";
import { hashSecret, randomId, randomToken } from "../core/secrets.ts";
import { DeviceCredentialHasher, loadDeviceCredentialKey } from "../core/device-credentials.ts";
import type { Gateway } from "../gateway/src/app.ts";
import {
  databaseUrlForProcesses,
  openDatabase,
  startBrokerProcess,
  startClusterGateway,
  startTcpBalancer,
  type BrokerProcess,
} from "./helpers/cluster.ts";
import { hasRedis, testRedis } from "./helpers/local-servers.ts";
import type { FleetReport, FleetStart } from "./helpers/fleet-process.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";
import { waitFor, waitForProgress } from "./helpers/stack.ts";

const CAMERAS = Number(process.env.WX_FAULT_CAMERAS ?? 2000);
const BACKOFF = { baseMs: 3000, capMs: 15_000 };
const COMMANDS = 200;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse())
    await Promise.resolve()
      .then(cleanup)
      .catch((err) => console.error("cleanup:", err));
}, 60_000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function provision(db: Database, count: number, stateDir: string, mqttUrl: string) {
  const claimCodeHash = await hashSecret("UNUSEDCODE", "password");
  // One password for all: hashing 2,000 distinct ones would cost the test seconds of CPU and prove nothing here.
  const password = randomToken(24);
  const credentialHash = new DeviceCredentialHasher(await loadDeviceCredentialKey(db, undefined)).hash(password);
  const cameras = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const deviceId = randomId("cam_");
      const serial = `WX-F${String(Math.floor(i / 1000)).padStart(3, "0")}-${String(i % 1000).padStart(3, "0")}${deviceId.slice(4, 7).toUpperCase()}`;
      return { deviceId, password, serial, credentialHash };
    }),
  );
  for (let i = 0; i < cameras.length; i += 500) {
    await db.device.createMany({
      data: cameras.slice(i, i + 500).map((c) => ({
        id: c.deviceId,
        serial: c.serial,
        claimCodeHash,
        claimState: "claimed",
        credentialHash: c.credentialHash,
        claimedAt: new Date(),
        firmware: "1.4.2",
      })),
    });
  }
  writeSimulatorState(stateDir, cameras, { mqttUrl, heartbeatIntervalS: 20, keepaliveS: 10 });
  return cameras;
}

it.skipIf(!hasRedis)(
  `SIGKILL one of two brokers under ${CAMERAS} cameras: all back online, spread out, statuses right, no QoS 1 command lost`,
  async () => {
    const t = { start: Date.now() } as Record<string, number>;
    const redis = await testRedis();
    cleanups.push(() => redis.stop());
    const testDb: TestDatabase = await createTestDatabase();
    cleanups.push(() => testDb.drop());
    const db = openDatabase(testDb);
    cleanups.push(() => db.$disconnect());
    const stateDir = join(process.cwd(), "data", "test", randomId("fleet_", 8));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));

    // Heartbeat 2 s: a broker silent for 6 s is dead and the survivors publish its cameras' wills (6–14 s after the kill).
    const brokerEnv = {
      REDIS_URL: redis.url,
      DATABASE_URL: databaseUrlForProcesses(testDb),
      MQTT_CLUSTER_HEARTBEAT_MS: "2000",
    };
    const brokers: BrokerProcess[] = await Promise.all([startBrokerProcess(brokerEnv), startBrokerProcess(brokerEnv)]);
    cleanups.push(() => Promise.all(brokers.map((b) => b.stop())));
    const [doomed, survivor] = brokers as [BrokerProcess, BrokerProcess];
    const balancer = await startTcpBalancer(() => brokers.map((b) => b.port));
    cleanups.push(() => balancer.close());

    const cameras = await provision(db, CAMERAS, stateDir, balancer.url);
    t.provisioned = Date.now();
    // The gateway talks to the surviving broker directly: this test is about the cameras.
    const { gateway } = (await startClusterGateway(db, databaseUrlForProcesses(testDb), {
      REDIS_URL: redis.url,
      MQTT_URL: survivor.url,
      COMMAND_TIMEOUT_MS: "60000",
      SEED_DEMO_DATA: "1",
      HEARTBEAT_FLUSH_MS: "100",
      LOG_LEVEL: process.env.WX_FAULT_LOG ?? "silent",
    })) as { gateway: Gateway; httpUrl: string };
    cleanups.push(() => gateway.stop());
    const httpUrl = `http://127.0.0.1:${(gateway.app.server.address() as { port: number }).port}`;

    const fleet: ChildProcess = fork(join(process.cwd(), "test/helpers/fleet-process.ts"), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    cleanups.push(() => fleet.kill("SIGKILL"));
    let fleetOnline = 0;
    const reports: FleetReport[] = [];
    fleet.on("message", (m: { type: string; online?: number }) => {
      if (m.type === "status") fleetOnline = m.online!;
      if (m.type === "report") reports.push(m as FleetReport);
    });
    await new Promise<void>((resolve) => fleet.once("message", () => resolve()));
    const start: FleetStart = {
      type: "start",
      stateDir,
      gatewayUrl: httpUrl,
      mqttUrl: balancer.url,
      cameras: cameras.map((c) => ({ serial: c.serial, claimCode: "UNUSEDCO" })),
      heartbeatIntervalS: 20,
      keepaliveS: 30,
      reconnectBackoff: BACKOFF,
      persistentSession: true,
      startSpreadMs: 5000,
    };
    fleet.send(start);
    const onlineInDb = () => db.device.count({ where: { connection: "online" } });
    // WX_FAULT_LOG=info shows progress (and the gateway's log).
    const progress = setInterval(async () => {
      if (!process.env.WX_FAULT_LOG) return;
      console.log(new Date().toISOString().slice(11, 19));
      const received = (await gateway.metrics.mqttMessages.get()).values
        .map((v) => `${v.labels.kind}=${v.value}`)
        .join(" ");
      console.log(`fleet online ${fleetOnline}, database online ${await onlineInDb()}, gateway received ${received}`);
    }, 5000);
    cleanups.push(() => clearInterval(progress));
    // Both counts must reach every camera; the wait lasts as long as either keeps rising (a busy machine is slow,
    // not stuck). The fleet reports only once all its cameras have started, so the database's count moves first.
    const onlineEverywhere = async () => fleetOnline + (await onlineInDb());
    await waitForProgress("every camera online in the fleet and the database", onlineEverywhere, 2 * CAMERAS, 60_000);
    t.allOnline = Date.now();

    // ── the fault ──
    const staff = (
      await (
        await fetch(`${httpUrl}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "staff", password: "test-password-123" }),
        })
      ).json()
    ).token as string;
    const killedAt = Date.now();
    doomed.child.kill("SIGKILL");
    // Commands sent right after the kill: about half go to cameras whose connection just died.
    const targets = cameras.slice(0, COMMANDS);
    const commands = targets.map((c) =>
      fetch(`${httpUrl}/api/v1/devices/${c.deviceId}/commands`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${staff}` },
        body: JSON.stringify({ name: "privacy", params: { enabled: false } }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { status?: string; error?: string } })),
    );
    // The dead broker comes back (same port) after a while: later reconnects may land on it.
    await doomed.exited;
    const restartTimer = new Promise<void>((resolve) => setTimeout(resolve, 2000));
    await restartTimer;
    const restarted = await startBrokerProcess(brokerEnv, doomed.port);
    brokers[0] = restarted;
    t.restarted = Date.now() - killedAt;

    await waitForProgress("every camera back online (fleet and database)", onlineEverywhere, 2 * CAMERAS, 60_000);
    const recoveredMs = Date.now() - killedAt;
    const answered = await Promise.all(commands);
    t.commandsDone = Date.now() - killedAt;
    // Wills of the dead broker are swept by the others after 3 heartbeats; let that pass, then look again.
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 16_000 - Date.now())));

    fleet.send({ type: "report" });
    await waitFor("fleet report", () => reports.length > 0, 10_000);
    const report = reports[0]!;
    const moved = Object.entries(report.lostAt).filter(([, times]) => times.some((at) => at >= killedAt));
    const reconnectDelays = moved
      .map(([serial]) => (report.onlineAt[serial] ?? []).find((at) => at >= killedAt)! - killedAt)
      .sort((a, b) => a - b);
    const buckets = new Map<number, number>();
    for (const delay of reconnectDelays)
      buckets.set(Math.floor(delay / 100), (buckets.get(Math.floor(delay / 100)) ?? 0) + 1);
    const busiest100ms = Math.max(...buckets.values());
    const statusCounts = await db.deviceStatusChange.groupBy({ by: ["deviceId"], _count: true });
    const changes = await db.deviceStatusChange.findMany({
      orderBy: [{ deviceId: "asc" }, { at: "asc" }, { id: "asc" }],
      select: { deviceId: true, state: true },
    });
    // From "unknown" a camera may first be seen offline (a connection lost while the fleet was starting);
    // after that, states must alternate.
    const insane: string[] = [];
    let previous: { deviceId: string; state: string } | null = null;
    for (const change of changes) {
      const first = previous?.deviceId !== change.deviceId;
      if (!first && previous!.state === change.state) insane.push(`${change.deviceId} ${change.state} twice in a row`);
      previous = change;
    }
    const lastStates = new Map(changes.map((c) => [c.deviceId, c.state]));
    const movedIds = new Set(moved.map(([serial]) => cameras.find((c) => c.serial === serial)!.deviceId));
    const succeededToMoved = answered.filter(
      (a, i) => a.status === 200 && a.body.status === "succeeded" && movedIds.has(targets[i]!.deviceId),
    ).length;
    const summary = {
      cameras: CAMERAS,
      setupMs: t.allOnline! - t.start!,
      movedCameras: moved.length,
      recoveredMs,
      restartedAfterMs: t.restarted,
      reconnectMs: {
        p10: percentile(reconnectDelays, 10),
        p50: percentile(reconnectDelays, 50),
        p90: percentile(reconnectDelays, 90),
        max: reconnectDelays.at(-1),
      },
      busiest100ms,
      commands: answered.length,
      commandsSucceeded: answered.filter((a) => a.status === 200 && a.body.status === "succeeded").length,
      commandsDoneMs: t.commandsDone,
      succeededToMoved,
      refusedOffline: answered.filter((a) => a.status === 409).length,
      duplicateCommands: report.duplicateCommands,
      devicesWithTransitions: statusCounts.length,
      offlineTransitions: changes.filter((c) => c.state === "offline").length,
    };
    console.log("broker-kill fault:", JSON.stringify(summary), insane.slice(0, 5));

    // All back (the recovery time is reported above: alone here ~20 s), and still online after the dead broker's wills were swept.
    expect(await onlineInDb()).toBe(CAMERAS);
    expect(report.online).toBe(CAMERAS);
    expect([...lastStates.values()].every((s) => s === "online")).toBe(true);
    expect(insane).toEqual([]);
    // Roughly the dead broker's half moved, and not all at once: full jitter spreads them over the backoff window.
    expect(moved.length).toBeGreaterThan(CAMERAS * 0.3);
    expect(busiest100ms).toBeLessThan(Math.max(20, moved.length * 0.1));
    expect(summary.reconnectMs.p90 - summary.reconnectMs.p10).toBeGreaterThan(BACKOFF.baseMs * 0.5);
    // No QoS 1 command lost: every command the gateway published was answered, those to moved cameras after
    // they came back (they waited in Redis). A command the gateway refused (409, the camera was already known
    // to be offline) was never published; there must be few of those. Since status writes left the event loop
    // (ingest worker), the dead broker's wills are stored sooner and 10–11% of the commands sent at the kill meet
    // an offline camera (measured 22 of 200 on a quiet machine), so the bound is 20%.
    expect(
      answered
        .map((a) => `${a.status} ${a.body.status ?? a.body.error}`)
        .filter((s) => s !== "200 succeeded" && s !== "409 camera-offline"),
    ).toEqual([]);
    expect(summary.refusedOffline).toBeLessThan(COMMANDS * 0.2);
    expect(succeededToMoved).toBeGreaterThan(COMMANDS * 0.25);
  },
  900_000,
); // alone ~50 s (setup ~30 s: the brokers verify 2,000 credentials); the waits end on progress, this is only a backstop
