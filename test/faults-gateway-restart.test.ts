// Restarting the gateway process under a running fleet, as an operator does for an upgrade: SIGTERM → it
// exits 0 within 10 s → start it again on the same database and ports → every camera is online again,
// no alert is left open, and the time the gateway was down is recorded as unknown, not as uptime.
// Then SIGTERM while a command waits for a silent camera: the request is answered 503 and the process exits.
import { fork, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./helpers/free-port.ts";
import { writeSimulatorState } from "./helpers/sim-state.ts";
import mqtt from "mqtt";
import { afterAll, expect, it } from "vitest";
import type { Database } from "../core/database.ts";
import { hashSecret, randomId, randomToken } from "../core/secrets.ts";
import { deviceStatusTopic } from "../protocol/topics.ts";
import { databaseUrlForProcesses, openDatabase } from "./helpers/cluster.ts";
import type { FleetStart } from "./helpers/fleet-process.ts";
import { waitFor, waitForProgress } from "./helpers/stack.ts";
import { createTestDatabase } from "./helpers/test-database.ts";

const CAMERAS = 20;
const STAFF_PASSWORD = "restart-test-password";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse())
    await Promise.resolve()
      .then(cleanup)
      .catch((err) => console.error("cleanup:", err));
}, 60_000);

interface GatewayProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

async function startGatewayProcess(env: Record<string, string>, httpUrl: string): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "gateway/src/main.ts"], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  // Start-up is CPU-bound (tsx, Prisma): wait for as long as the process is alive and not yet answering.
  await waitFor(
    "the gateway answering /healthz",
    async () => {
      if (gone) throw new Error(`gateway exited before it was healthy:\n${output}`);
      return fetch(`${httpUrl}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
    },
    120_000,
    100,
  );
  return { child, exited, output: () => output };
}

async function provisionFleet(db: Database, stateDir: string, mqttUrl: string) {
  const claimCodeHash = await hashSecret("UNUSEDCODE", "password");
  const password = randomToken(24);
  const credentialHash = await hashSecret(password, "device-credential");
  const cameras = Array.from({ length: CAMERAS + 1 }, (_, i) => ({
    deviceId: randomId("cam_"),
    serial: `WX-2026-R${String(i).padStart(2, "0")}${randomBytes(2).toString("hex").slice(0, 3).toUpperCase()}`,
  }));
  await db.device.createMany({
    data: cameras.map((c) => ({
      id: c.deviceId,
      serial: c.serial,
      claimCodeHash,
      claimState: "claimed",
      credentialHash,
      claimedAt: new Date(),
      firmware: "1.4.2",
    })),
  });
  writeSimulatorState(
    stateDir,
    cameras.map((c) => ({ ...c, password })),
    { mqttUrl, heartbeatIntervalS: 2, keepaliveS: 4 },
  );
  // The last one is not simulated: the test plays it as a camera that never answers commands.
  return { fleet: cameras.slice(0, CAMERAS), silent: cameras[CAMERAS]!, password };
}

it(`SIGTERM and restart the gateway under ${CAMERAS} cameras: exits 0 within 10 s, all online again within 30 s, no alert open, downtime not counted as uptime`, async () => {
  const testDb = await createTestDatabase();
  cleanups.push(() => testDb.drop());
  const db = openDatabase(testDb);
  cleanups.push(() => db.$disconnect());
  const stateDir = join(process.cwd(), "data", "test", randomId("restart_", 8));
  cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const env = {
    HTTP_PORT: String(httpPort),
    MQTT_PORT: String(mqttPort),
    HTTP_HOST: "127.0.0.1",
    MQTT_HOST: "127.0.0.1",
    DATABASE_URL: databaseUrlForProcesses(testDb),
    LOG_LEVEL: "warn",
    RELAY_ENABLED: "0",
    SEED_DEMO_DATA: "0",
    MQTT_SERVICE_PASSWORD: randomToken(24),
    HEARTBEAT_FLUSH_MS: "20",
    ALERT_CHECK_INTERVAL_S: "1",
    OFFLINE_ALERT_AFTER_S: "5",
    COMMAND_TIMEOUT_MS: "60000",
    DEVICE_KEEPALIVE_S: "4",
  };
  const { fleet: cameras, silent, password } = await provisionFleet(db, stateDir, mqttUrl);
  await db.user.create({
    data: {
      id: randomId("usr_"),
      username: "staff",
      displayName: "Staff",
      role: "staff",
      passwordHash: await hashSecret(STAFF_PASSWORD),
    },
  });
  const onlineInDb = () =>
    db.device.count({ where: { id: { in: cameras.map((c) => c.deviceId) }, connection: "online" } });

  let gateway = await startGatewayProcess(env, httpUrl);
  const fleetProcess = fork(join(process.cwd(), "test/helpers/fleet-process.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  cleanups.push(() => fleetProcess.kill("SIGKILL"));
  let fleetOnline = 0;
  fleetProcess.on("message", (m: { type: string; online?: number }) => {
    if (m.type === "status") fleetOnline = m.online!;
  });
  await new Promise<void>((resolve) => fleetProcess.once("message", () => resolve()));
  const start: FleetStart = {
    type: "start",
    stateDir,
    gatewayUrl: httpUrl,
    mqttUrl,
    cameras: cameras.map((c) => ({ serial: c.serial, claimCode: "UNUSEDCO" })),
    heartbeatIntervalS: 2,
    keepaliveS: 4,
    reconnectBackoff: { baseMs: 300, capMs: 2000 },
    persistentSession: false,
    startSpreadMs: 1000,
  };
  fleetProcess.send(start);
  const onlineEverywhere = async () => Math.min(fleetOnline, await onlineInDb());
  await waitForProgress("every camera online before the restart", onlineEverywhere, CAMERAS);

  // ── SIGTERM: a clean exit within 10 s ──
  const signalledAt = Date.now();
  gateway.child.kill("SIGTERM");
  const first = await gateway.exited;
  const stopMs = Date.now() - signalledAt;
  expect(first, gateway.output()).toEqual({ code: 0, signal: null });
  expect(stopMs).toBeLessThan(10_000);
  const stoppedRun = await db.gatewayRun.findFirstOrThrow({ where: { stoppedAt: { not: null } } });

  // The gateway stays down a while, as during an upgrade; the cameras keep trying.
  await new Promise((resolve) => setTimeout(resolve, 3000));

  // ── start again on the same database and ports ──
  gateway = await startGatewayProcess(env, httpUrl);
  const healthyAt = Date.now();
  const secondRun = await db.gatewayRun.findFirstOrThrow({ where: { startedAt: { gt: stoppedRun.startedAt } } });
  const downtimeS = (secondRun.startedAt.getTime() - stoppedRun.stoppedAt!.getTime()) / 1000;
  expect(downtimeS).toBeGreaterThanOrEqual(3);
  await waitForProgress("every camera online after the restart", onlineEverywhere, CAMERAS);
  const recoveredMs = Date.now() - healthyAt;
  expect(recoveredMs).toBeLessThan(30_000);
  // (The 21st camera, claimed but not connected yet, may rightly have a "never connected" alert.)
  expect(await db.alert.count({ where: { resolvedAt: null, deviceId: { in: cameras.map((c) => c.deviceId) } } })).toBe(
    0,
  );

  const login = await fetch(`${httpUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "staff", password: STAFF_PASSWORD }),
  });
  const staff = ((await login.json()) as { token: string }).token;
  const detail = (await (
    await fetch(`${httpUrl}/api/v1/devices/${cameras[0]!.deviceId}`, { headers: { authorization: `Bearer ${staff}` } })
  ).json()) as { uptime: { h24: number; unknownS: { h24: number } } };
  // The gap between the two runs is unknown time, left out of the fraction (which would otherwise count it as online).
  expect(Math.abs(detail.uptime.unknownS.h24 - downtimeS)).toBeLessThanOrEqual(1);
  console.log(
    "gateway restart:",
    JSON.stringify({
      cameras: CAMERAS,
      stopMs,
      downtimeS: Math.round(downtimeS * 10) / 10,
      recoveredMs,
      uptime: detail.uptime,
    }),
  );

  // ── SIGTERM while a command waits for a camera that never answers ──
  const session = randomId("s_", 8);
  const silentCamera = await mqtt.connectAsync(mqttUrl, {
    clientId: silent.deviceId,
    username: silent.deviceId,
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
    will: {
      topic: deviceStatusTopic(silent.deviceId),
      payload: Buffer.from(JSON.stringify({ state: "offline", at: new Date().toISOString(), reason: "lost", session })),
      qos: 1,
      retain: true,
    },
  });
  cleanups.push(() => silentCamera.endAsync(true));
  await silentCamera.publishAsync(
    deviceStatusTopic(silent.deviceId),
    JSON.stringify({ state: "online", at: new Date().toISOString(), reason: "boot", session }),
    { qos: 1, retain: true },
  );
  await waitFor(
    "the silent camera online",
    async () => (await db.device.findUniqueOrThrow({ where: { id: silent.deviceId } })).connection === "online",
    30_000,
  );
  const command = fetch(`${httpUrl}/api/v1/devices/${silent.deviceId}/commands`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${staff}` },
    body: JSON.stringify({ name: "reboot", params: {} }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string } }));
  await waitFor(
    "the command waiting for the camera",
    () => db.command.count({ where: { deviceId: silent.deviceId, status: "pending" } }),
    30_000,
  );
  const secondSignalAt = Date.now();
  gateway.child.kill("SIGTERM");
  const answer = await command;
  const second = await gateway.exited;
  const commandStopMs = Date.now() - secondSignalAt;
  expect(answer).toMatchObject({ status: 503, body: { error: "shutting-down" } });
  expect(second, gateway.output()).toEqual({ code: 0, signal: null });
  expect(commandStopMs).toBeLessThan(10_000);
  expect(await db.command.findFirstOrThrow({ where: { deviceId: silent.deviceId } })).toMatchObject({
    status: "failed",
  });
}, 300_000);
