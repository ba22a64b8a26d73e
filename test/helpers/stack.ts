// Starts a whole Wangxiang stack in-process on port 0 (broker + gateway + fresh database) and
// gives tests a small HTTP client and MQTT device connections.
import type { TestPushService } from "./push-service.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import WebSocket from "ws";
import { createDatabase, type Database } from "../../core/database.ts";
import { buildGateway, type Gateway } from "../../gateway/src/app.ts";
import { readGatewayConfig, type GatewayConfig } from "../../gateway/src/config.ts";
import type { DemoSeed } from "../../gateway/src/seed.ts";
import { deviceStatusTopic } from "../../protocol/topics.ts";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";

/**
 * Parsed JSON as a test reads it (a reply body, a live-socket message): the test's own expectations check its
 * shape, and a wrong guess fails the test. The routes' zod schemas type the real clients (web/, firmware-sim/).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests walk reply JSON freely and assert on it (see above)
export type TestJson = any;

export interface Stack {
  gateway: Gateway;
  db: Database;
  httpUrl: string;
  mqttUrl: string;
  mqttPort: number;
  seed: DemoSeed;
  api<T = TestJson>(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T }>;
  login(username: string, password?: string): Promise<string>;
  stop(): Promise<void>;
}

export const demoPassword = "test-password-123";

export interface StackOptions {
  logStream?: { write(line: string): void };
  database?: TestDatabase;
  push?: TestPushService;
  wellbeingClock?: () => Date;
}

/** A gateway built (not started) on a fresh database, with the settings every test stack shares. */
export async function buildTestGateway(
  env: Record<string, string>,
  options: StackOptions,
): Promise<{ gateway: Gateway; config: GatewayConfig; db: Database; testDb: TestDatabase; snapshotDir: string }> {
  const testDb: TestDatabase = options.database ?? (await createTestDatabase());
  const snapshotDir = await mkdtemp(join(tmpdir(), "wx-snapshots-"));
  const config = readGatewayConfig({
    HTTP_PORT: "0",
    MQTT_PORT: "0",
    HTTP_HOST: "127.0.0.1",
    MQTT_HOST: "127.0.0.1",
    DATABASE_URL: testDb.url,
    LOG_LEVEL: "silent",
    WX_DEMO_PASSWORD: demoPassword,
    HEARTBEAT_INTERVAL_S: "1",
    DEVICE_KEEPALIVE_S: "2",
    HEARTBEAT_FLUSH_MS: "10",
    RELAY_ENABLED: "0",
    RELAY_RTC_PORT: "0",
    // Periodic stills would send commands nobody in most tests expects; the snapshot tests turn them on.
    SNAPSHOT_INTERVAL_MIN: "0",
    // Tests ask one camera for many stills in a row; the limit on people's stills has its own test.
    SNAPSHOT_PERSON_INTERVAL_S: "0",
    SNAPSHOT_DIR: snapshotDir,
    // The test push service listens on loopback: trusted here by naming its address, as an operator would.
    ...(options.push ? { PUSH_SERVICE_HOSTS: "127.0.0.1" } : {}),
    ...env,
  });
  const db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
  const gateway = buildGateway(config, {
    database: db,
    databaseSchema: testDb.pgSchema,
    logStream: options.logStream,
    ...(options.push ? { pushCa: options.push.ca } : {}),
    ...(options.wellbeingClock ? { wellbeingClock: options.wellbeingClock } : {}),
  });
  return { gateway, config, db, testDb, snapshotDir };
}

export async function startStack(env: Record<string, string> = {}, options: StackOptions = {}): Promise<Stack> {
  const { gateway, db, testDb, snapshotDir } = await buildTestGateway(env, options);
  const started = await gateway.start();
  const httpUrl = `http://127.0.0.1:${started.httpPort}`;
  const api: Stack["api"] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(httpUrl + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: response.status, body: body as TestJson };
  };
  return {
    gateway,
    db,
    httpUrl,
    api,
    seed: started.seed!,
    mqttPort: started.mqttPort,
    mqttUrl: `mqtt://127.0.0.1:${started.mqttPort}`,
    async login(username, password = demoPassword) {
      const res = await api("POST", "/api/v1/auth/login", { body: { username, password } });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    async stop() {
      await gateway.stop();
      await db.$disconnect();
      await testDb.drop();
      await rm(snapshotDir, { recursive: true, force: true });
    },
  };
}

/** Binds a demo camera to the demo household and claims it as the camera would: returns its MQTT credentials. */
export async function installDemoCamera(
  stack: Stack,
  index = 0,
): Promise<{ deviceId: string; password: string; serial: string; claimCode: string }> {
  const camera = stack.seed.cameras[index]!;
  const installer = await stack.login("installer");
  const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
    token: installer,
    body: { serial: camera.serial, claimCode: camera.claimCode },
  });
  if (bound.status !== 200) throw new Error(`bind: ${bound.status} ${JSON.stringify(bound.body)}`);
  const claimed = await stack.api("POST", "/api/v1/devices/claim", {
    body: { serial: camera.serial, claimCode: camera.claimCode },
  });
  if (claimed.status !== 200) throw new Error(`claim: ${claimed.status} ${JSON.stringify(claimed.body)}`);
  return {
    deviceId: claimed.body.deviceId,
    password: claimed.body.mqttPassword,
    serial: camera.serial,
    claimCode: camera.claimCode,
  };
}

/** A plain MQTT client acting as a camera, with the retained last will a camera sets. */
export function connectAsDevice(
  stack: Stack,
  deviceId: string,
  password: string,
  extra: Partial<IClientOptions> = {},
): Promise<MqttClient> {
  const session = Math.random().toString(36).slice(2);
  const client = mqtt.connect(stack.mqttUrl, {
    clientId: deviceId,
    username: deviceId,
    password,
    protocolVersion: 4,
    keepalive: 2,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    will: {
      topic: deviceStatusTopic(deviceId),
      payload: Buffer.from(JSON.stringify({ state: "offline", at: new Date().toISOString(), reason: "lost", session })),
      qos: 1,
      retain: true,
    },
    ...extra,
  });
  return new Promise((resolve, reject) => {
    client.once("connect", () => {
      client.publish(
        deviceStatusTopic(deviceId),
        JSON.stringify({ state: "online", at: new Date().toISOString(), reason: "boot", firmware: "1.0.0", session }),
        { qos: 1, retain: true },
        (err) => (err ? reject(err) : resolve(client)),
      );
    });
    client.once("error", (err) => {
      client.end(true);
      reject(err);
    });
    client.once("close", () => reject(new Error("closed before CONNACK")));
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Waits until `measure` reaches `target`, for as long as it keeps moving: fails only when it has not changed
 * for `stallMs`. On a busy machine everything is slower but still moves; a fixed deadline would fail there.
 */
export async function waitForProgress(
  what: string,
  measure: () => Promise<number> | number,
  target: number,
  stallMs = 30_000,
  everyMs = 200,
): Promise<void> {
  let last = await measure();
  let movedAt = Date.now();
  while (last < target) {
    if (Date.now() - movedAt > stallMs)
      throw new Error(`timed out waiting for ${what}: stuck at ${last} of ${target} for ${stallMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
    const now = await measure();
    if (now !== last) movedAt = Date.now();
    last = now;
  }
}

/** The gateway's live event socket, signed in the way the web app does it: the token as a subprotocol, never in the URL. */
export function liveSocket(stack: Pick<Stack, "httpUrl">, token: string): WebSocket {
  return new WebSocket(`${stack.httpUrl.replace("http", "ws")}/api/v1/live`, ["wangxiang", `bearer.${token}`]);
}
