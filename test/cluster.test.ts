// Cluster mode: two broker processes on one Redis, two gateways (one per broker), one database.
// A command reaches a camera whichever broker it is on, device messages are handled once, a revocation
// reaches the device's broker, and the ingest leadership moves when the leader stops.
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../core/database.ts";
import type { Gateway } from "../gateway/src/app.ts";
import type { DemoSeed } from "../gateway/src/seed.ts";
import { deviceCommandTopic, deviceStatusTopic } from "../protocol/topics.ts";
import {
  databaseUrlForProcesses,
  openDatabase,
  startBrokerProcess,
  startClusterGateway,
  type BrokerProcess,
} from "./helpers/cluster.ts";
import { hasRedis, testRedis, type LocalServer } from "./helpers/local-servers.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";
import { waitFor } from "./helpers/stack.ts";
import { openLiveSocket } from "./helpers/security-fixtures.ts";

let redis: LocalServer;
let testDb: TestDatabase;
let db: Database;
let brokers: BrokerProcess[] = [];
const gateways: { gateway: Gateway; httpUrl: string; seed: DemoSeed | null }[] = [];
let seed: DemoSeed;
const devices: MqttClient[] = [];

async function api(httpUrl: string, method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(httpUrl + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
const login = async (httpUrl: string, username: string) =>
  (await api(httpUrl, "POST", "/api/v1/auth/login", undefined, { username, password: "test-password-123" })).body
    .token as string;

async function installCamera(index: number) {
  const httpUrl = gateways[0]!.httpUrl;
  const camera = seed.cameras[index]!;
  const installer = await login(httpUrl, "installer");
  const bound = await api(httpUrl, "POST", `/api/v1/households/${seed.householdId}/devices`, installer, {
    serial: camera.serial,
    claimCode: camera.claimCode,
  });
  expect(bound.status).toBe(200);
  const claimed = await api(httpUrl, "POST", "/api/v1/devices/claim", undefined, {
    serial: camera.serial,
    claimCode: camera.claimCode,
  });
  expect(claimed.status).toBe(200);
  return { deviceId: claimed.body.deviceId as string, password: claimed.body.mqttPassword as string };
}

/** A camera on the given broker that answers every command, with a session id in its status and will. */
async function connectCamera(brokerUrl: string, deviceId: string, password: string): Promise<MqttClient> {
  const session = Math.random().toString(36).slice(2);
  const client = mqtt.connect(brokerUrl, {
    clientId: deviceId,
    username: deviceId,
    password,
    protocolVersion: 4,
    keepalive: 5,
    reconnectPeriod: 0,
    clean: false,
    will: {
      topic: deviceStatusTopic(deviceId),
      payload: Buffer.from(JSON.stringify({ state: "offline", at: new Date().toISOString(), reason: "lost", session })),
      qos: 1,
      retain: true,
    },
  });
  devices.push(client);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no CONNACK from ${brokerUrl} within 10 s`)), 10_000);
    client.once("connect", () => resolve(clearTimeout(timer)));
    client.once("error", reject);
  });
  client.on("message", (topic, payload) => {
    if (topic !== deviceCommandTopic(deviceId)) return;
    const command = JSON.parse(payload.toString()) as { correlationId: string; responseTopic: string; name: string };
    client.publish(
      command.responseTopic,
      JSON.stringify({ correlationId: command.correlationId, ok: true, result: { via: brokerUrl } }),
      { qos: 1 },
    );
  });
  await client.subscribeAsync(deviceCommandTopic(deviceId), { qos: 1 });
  await client.publishAsync(
    deviceStatusTopic(deviceId),
    JSON.stringify({ state: "online", at: new Date().toISOString(), reason: "boot", firmware: "1.0.0", session }),
    { qos: 1, retain: true },
  );
  return client;
}

const connectionOf = async (deviceId: string) =>
  (await db.device.findUnique({ where: { id: deviceId }, select: { connection: true } }))?.connection;
describe.skipIf(!hasRedis)("brokers and gateways sharing one Redis", () => {
  beforeAll(async () => {
    redis = await testRedis();
    testDb = await createTestDatabase();
    db = openDatabase(testDb);
    const env = { REDIS_URL: redis.url, DATABASE_URL: databaseUrlForProcesses(testDb) };
    brokers = await Promise.all([startBrokerProcess(env), startBrokerProcess(env)]);
    for (const broker of brokers) {
      gateways.push(
        await startClusterGateway(db, databaseUrlForProcesses(testDb), {
          REDIS_URL: redis.url,
          MQTT_URL: broker.url,
          COMMAND_TIMEOUT_MS: "5000",
        }),
      );
    }
    seed = gateways[0]!.seed!; // the first gateway found the database empty and seeded it
  }, 60_000);

  // A cluster test that fails ends with what each broker process said last (their logs are otherwise not shown).
  afterEach(({ task }) => {
    if (task.result?.state !== "fail") return;
    for (const [i, broker] of brokers.entries())
      console.error(`broker ${i} (${broker.url}), last log lines:\n${broker.lines.slice(-15).join("\n")}`);
  });

  afterAll(async () => {
    for (const device of devices) device.end(true);
    for (const { gateway } of gateways) await gateway.stop().catch(() => undefined);
    await Promise.all(brokers.map((b) => b.stop()));
    await db?.$disconnect();
    await testDb?.drop();
    await redis?.stop();
  }, 60_000);

  describe("cluster mode", () => {
    it("has exactly one ingest leader", () => {
      expect(gateways.filter(({ gateway }) => gateway.leadership.isLeader)).toHaveLength(1);
    });

    it("a command sent by either gateway reaches a camera on either broker, and device messages are stored once", async () => {
      const [a, b] = [await installCamera(0), await installCamera(1)];
      await connectCamera(brokers[0]!.url, a.deviceId, a.password);
      await connectCamera(brokers[1]!.url, b.deviceId, b.password);
      await waitFor(
        "both cameras online",
        async () => (await connectionOf(a.deviceId)) === "online" && (await connectionOf(b.deviceId)) === "online",
      );
      for (const { httpUrl } of gateways) {
        const staff = await login(httpUrl, "staff");
        for (const [camera, brokerUrl] of [
          [a, brokers[0]!.url],
          [b, brokers[1]!.url],
        ] as const) {
          const sent = await api(httpUrl, "POST", `/api/v1/devices/${camera.deviceId}/commands`, staff, {
            name: "privacy",
            params: { enabled: false },
          });
          expect(sent.status, JSON.stringify(sent.body)).toBe(200);
          expect(sent.body.status).toBe("succeeded");
          expect(sent.body.result).toEqual({ via: brokerUrl });
        }
      }
      // Both gateways heard every status message; only the leader wrote it.
      await new Promise((r) => setTimeout(r, 300));
      for (const camera of [a, b]) {
        expect(await db.deviceStatusChange.count({ where: { deviceId: camera.deviceId } })).toBe(1);
      }
    });

    it("a revocation at one gateway drops the camera's session on the other broker", async () => {
      const camera = await installCamera(2);
      const client = await connectCamera(brokers[1]!.url, camera.deviceId, camera.password);
      await waitFor("camera online", async () => (await connectionOf(camera.deviceId)) === "online");
      const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
      const staff = await login(gateways[0]!.httpUrl, "staff");
      const revoked = await api(gateways[0]!.httpUrl, "POST", `/api/v1/devices/${camera.deviceId}/revoke`, staff);
      expect(revoked.status).toBe(200);
      await closed;
    });

    it("a revoked camera is refused on every broker at once, though both had proven its credential", async () => {
      const camera = await installCamera(4);
      for (const broker of brokers) {
        const client = await connectCamera(broker.url, camera.deviceId, camera.password);
        await client.endAsync();
      }
      const staff = await login(gateways[1]!.httpUrl, "staff");
      expect((await api(gateways[1]!.httpUrl, "POST", `/api/v1/devices/${camera.deviceId}/revoke`, staff)).status).toBe(
        200,
      );
      for (const broker of brokers) {
        const refused = await new Promise<unknown>((resolve) => {
          const client = mqtt.connect(broker.url, {
            clientId: camera.deviceId,
            username: camera.deviceId,
            password: camera.password,
            protocolVersion: 4,
            reconnectPeriod: 0,
          });
          devices.push(client);
          client.once("connect", () => resolve("accepted"));
          client.once("error", (err: Error & { code?: unknown }) => resolve(err.code));
        });
        expect(refused, broker.url).toBe(5);
      }
    });

    it("a session ended at one gateway is refused at once at the other, which remembered it, and its live socket there closes", async () => {
      const [a, b] = [gateways[0]!.httpUrl, gateways[1]!.httpUrl];
      const me = async (httpUrl: string, token: string) => (await api(httpUrl, "GET", "/api/v1/auth/me", token)).status;
      // Sign-out: B has just read the session (and remembers it) and holds its live socket.
      const family = await login(a, "family");
      expect(await me(b, family)).toBe(200);
      const socket = await openLiveSocket({ httpUrl: b }, family);
      expect((await api(a, "POST", "/api/v1/auth/logout", family)).status).toBe(204);
      expect(await me(b, family)).toBe(401);
      expect(await socket.closed).toEqual({ code: 4401, reason: "signed-out" });
      // A password change ends the account's other sessions everywhere, not the one that changed it.
      const [changer, other] = [await login(a, "family"), await login(a, "family")];
      expect([await me(b, changer), await me(b, other)]).toEqual([200, 200]);
      const change = (token: string, from: string, to: string) =>
        api(a, "POST", "/api/v1/auth/password", token, { currentPassword: from, newPassword: to });
      expect((await change(changer, "test-password-123", "another-password-456")).status).toBe(204);
      expect([await me(b, changer), await me(b, other)]).toEqual([200, 401]);
      expect((await change(changer, "another-password-456", "test-password-123")).status).toBe(204);
      // A disabled account: every session of it, on every gateway.
      const staff = await login(a, "staff");
      const installer = await login(b, "installer");
      const installerId = (await api(b, "GET", "/api/v1/auth/me", installer)).body.id as string;
      expect((await api(a, "POST", `/api/v1/users/${installerId}/disable`, staff)).status).toBe(200);
      expect(await me(b, installer)).toBe(401);
      expect((await api(a, "POST", `/api/v1/users/${installerId}/enable`, staff)).status).toBe(200);
    });

    it("when the ingest leader stops, the other gateway takes over and keeps the statuses right", async () => {
      const camera = await installCamera(3);
      const client = await connectCamera(brokers[0]!.url, camera.deviceId, camera.password);
      await waitFor("camera online", async () => (await connectionOf(camera.deviceId)) === "online");
      const leaderIndex = gateways.findIndex(({ gateway }) => gateway.leadership.isLeader);
      const [leader] = gateways.splice(leaderIndex, 1);
      await leader!.gateway.stop();
      const survivor = gateways[0]!.gateway;
      await waitFor("the other gateway leads", () => survivor.leadership.isLeader, 5000);
      client.end(true); // no DISCONNECT: the broker publishes the will
      // Generous: in the full suite on 2 busy cores the new leader's first batch has taken over 10 s.
      await waitFor(
        "camera offline through the new leader",
        async () => (await connectionOf(camera.deviceId)) === "offline",
        30_000,
      ).catch(async (error: Error) => {
        // Seen once in CI (never here, alone or after the core files): say what the new leader had by then.
        const changes = await db.deviceStatusChange.findMany({ where: { deviceId: camera.deviceId } });
        const received = (await survivor.metrics.mqttMessages.get()).values.map((v) => [v.labels.kind, v.value]);
        const stored = changes.map((c) => [c.state, c.reason]);
        throw new Error(
          `${error.message}; the new leader leads: ${survivor.leadership.isLeader}, device messages it received: ` +
            `${JSON.stringify(received)}, the camera's stored changes: ${JSON.stringify(stored)}`,
        );
      });
    }, 60_000);
  });
});
