// The broker against real mqtt.js clients speaking MQTT 3.1.1: authentication, per-device ACL, last will,
// takeover, and the limits that keep one bad client from hurting the rest.
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { createBroker } from "../broker/src/broker.ts";
import { readBrokerConfig } from "../broker/src/config.ts";
import { deviceCommandTopic, deviceStatusTopic, deviceTelemetryTopic } from "../protocol/topics.ts";
import {
  closed,
  floodConnections,
  nextMessage,
  startBlackholeProxy,
  startTestBroker,
  type TestBroker,
} from "./helpers/broker-fixtures.ts";
import { waitFor } from "./helpers/stack.ts";

const onlineStatus = JSON.stringify({ state: "online", at: new Date().toISOString(), reason: "boot" });
const lostStatus = JSON.stringify({ state: "offline", at: new Date().toISOString(), reason: "lost" });
const willFor = (deviceId: string) => ({
  topic: deviceStatusTopic(deviceId),
  payload: Buffer.from(lostStatus),
  qos: 1 as const,
  retain: true,
});

let stack: TestBroker | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await stack?.stop();
  stack = undefined;
});
async function start(overrides: Parameters<typeof startTestBroker>[0] = {}) {
  stack = await startTestBroker(overrides);
  return stack;
}
/** What mqtt.js rejects subscribeAsync with when the SUBACK says 0x80. */
const subackFailure = { packet: { cmd: "suback", granted: [0x80] } };
/**
 * A camera's retries after its socket was dropped for want of a probation slot (16 per address, which the
 * flood's sockets also take). A CONNACK refusal is never retried: a proven camera refused is the failure.
 */
async function connectWithRetries(connect: () => Promise<MqttClient>, attempts = 8): Promise<MqttClient> {
  for (let i = 1; ; i++) {
    try {
      return await connect();
    } catch (error) {
      if ((error as { code?: unknown }).code !== undefined || i >= attempts) throw error;
    }
  }
}
/** The CONNACK return code a refused connection got (mqtt.js puts it on the error's `code`). */
async function refusalCode(attempt: Promise<MqttClient>): Promise<unknown> {
  const err = await attempt.then(
    () => expect.fail("the connection was accepted"),
    (e: { code?: unknown }) => e,
  );
  return err.code;
}

describe("authentication", () => {
  it("refuses anonymous clients and clients with an unknown username", async () => {
    const { connect } = await start();
    expect(await refusalCode(connect({ clientId: "anon" }))).toBe(5);
    expect(await refusalCode(connect({ clientId: "x", username: "root", password: "root" }))).toBe(5);
  });

  it("refuses a wrong password, an unknown, a revoked and a not yet credentialed device with 5", async () => {
    const { credentials, connectDevice, broker } = await start();
    const device = await credentials.addDevice();
    expect(await refusalCode(connectDevice({ ...device, secret: "not-the-secret" }))).toBe(5);
    expect(await refusalCode(connectDevice({ deviceId: "cam_000000000000", secret: device.secret }))).toBe(5);
    const revoked = await credentials.addDevice("revoked");
    expect(await refusalCode(connectDevice(revoked))).toBe(5);
    const unclaimed = await credentials.addDevice("registered");
    credentials.records.get(unclaimed.deviceId)!.credentialHash = null;
    expect(await refusalCode(connectDevice(unclaimed))).toBe(5);
    expect(broker.metrics.authFailures).toBe(4);
  });

  it("refuses a device whose client id is not its device id with 2 (identifier rejected)", async () => {
    const { credentials, connectDevice } = await start();
    const device = await credentials.addDevice();
    expect(await refusalCode(connectDevice(device, { clientId: "cam_aaaaaaaaaaaa" }))).toBe(2);
  });

  it("refuses MQTT 5 (aedes speaks 3.1.1) and a keepalive above the limit", async () => {
    const { credentials, connectDevice } = await start({ keepaliveMaxS: 120 });
    const device = await credentials.addDevice();
    expect(await refusalCode(connectDevice(device, { protocolVersion: 5 }))).toBe(1);
    expect(await refusalCode(connectDevice(device, { keepalive: 600 }))).toBe(6);
    await connectDevice(device, { keepalive: 120 });
  });

  it("sees a new credential at once after a re-arm: the indexed hash of the old one no longer opens the door", async () => {
    const { credentials, connectDevice, broker } = await start();
    const device = await credentials.addDevice();
    (await connectDevice(device)).end(true);
    const newSecret = await credentials.rotate(device.deviceId);
    broker.disconnectDevice(device.deviceId); // what the gateway's re-arm does, on every broker
    expect(await refusalCode(connectDevice(device))).toBe(5);
    await connectDevice({ deviceId: device.deviceId, secret: newSecret });
  });
});

describe("per-device ACL", () => {
  it("lets a device publish its telemetry and receive its commands", async () => {
    const { credentials, connectDevice, connectService, broker } = await start();
    const device = await credentials.addDevice();
    const service = await connectService();
    await service.subscribeAsync(["devices/+/telemetry"], { qos: 1 });
    const camera = await connectDevice(device);
    await camera.subscribeAsync(deviceCommandTopic(device.deviceId), { qos: 1 });

    const telemetry = nextMessage(service, deviceTelemetryTopic(device.deviceId));
    await camera.publishAsync(deviceTelemetryTopic(device.deviceId), '{"uptimeS":1}', { qos: 1 });
    expect((await telemetry).payload.toString()).toBe('{"uptimeS":1}');

    const command = nextMessage(camera, deviceCommandTopic(device.deviceId));
    await service.publishAsync(deviceCommandTopic(device.deviceId), '{"name":"reboot"}', { qos: 1 });
    expect((await command).payload.toString()).toBe('{"name":"reboot"}');
    expect(broker.metrics.messagesIn).toBe(2);
    expect(broker.metrics.messagesOut).toBe(2);
  });

  it("answers SUBACK 0x80 to a device subscribing to another device's commands or to a wildcard", async () => {
    const { credentials, connectDevice, broker } = await start();
    const [a, b] = [await credentials.addDevice(), await credentials.addDevice()];
    const camera = await connectDevice(a);
    for (const filter of [deviceCommandTopic(b.deviceId), "devices/+/cmd", `devices/${a.deviceId}/#`, "#"]) {
      await expect(camera.subscribeAsync(filter), filter).rejects.toMatchObject(subackFailure);
    }
    expect(broker.metrics.aclDeniedSubscribe).toBe(4);
    expect(camera.connected).toBe(true);
  });

  it("drops a device that publishes to another device's status; nobody receives it", async () => {
    const { credentials, connectDevice, connectService, broker } = await start();
    const [a, b] = [await credentials.addDevice(), await credentials.addDevice()];
    const service = await connectService();
    await service.subscribeAsync(deviceStatusTopic(b.deviceId), { qos: 1 });
    const received: string[] = [];
    service.on("message", (topic) => received.push(topic));
    const camera = await connectDevice(a);

    const dropped = closed(camera);
    camera.publish(deviceStatusTopic(b.deviceId), lostStatus, { qos: 1, retain: true });
    await dropped;
    // A round trip through the broker after the attempt: had the forged message been routed, it came first.
    const probe = nextMessage(service, deviceStatusTopic(b.deviceId));
    await service.publishAsync(deviceStatusTopic(b.deviceId), onlineStatus, { qos: 1 });
    expect((await probe).payload.toString()).toBe(onlineStatus);
    expect(received).toEqual([deviceStatusTopic(b.deviceId)]);
    expect(broker.metrics.aclDeniedPublish).toBe(1);
  });

  it("refuses a device whose will names another device's status topic", async () => {
    const { credentials, connectDevice } = await start();
    const [a, b] = [await credentials.addDevice(), await credentials.addDevice()];
    expect(await refusalCode(connectDevice(a, { will: willFor(b.deviceId) }))).toBe(5);
    await connectDevice(a, { will: willFor(a.deviceId) });
  });

  it("keeps the service client under devices/ and away from device client ids", async () => {
    const { credentials, connectService, broker } = await start();
    const device = await credentials.addDevice();
    expect(await refusalCode(connectService({ clientId: device.deviceId }))).toBe(2);
    const service = await connectService();
    await expect(service.subscribeAsync("$SYS/#")).rejects.toMatchObject(subackFailure);
    const dropped = closed(service);
    service.publish("elsewhere/topic", "x");
    await dropped;
    expect(broker.metrics.aclDeniedPublish).toBe(1);
  });
});

describe("last will and sessions", () => {
  it("publishes the will at once when a device's socket is destroyed without DISCONNECT", async () => {
    const { credentials, connectDevice, connectService } = await start();
    const device = await credentials.addDevice();
    const service = await connectService();
    await service.subscribeAsync("devices/+/status", { qos: 1 });
    const camera = await connectDevice(device, { will: willFor(device.deviceId) });

    const will = nextMessage(service, deviceStatusTopic(device.deviceId));
    camera.stream.destroy();
    expect(JSON.parse((await will).payload.toString())).toMatchObject({ state: "offline", reason: "lost" });
  });

  it("notices a silent power loss within keepalive × 1.5 and replaces the retained status with the will", async () => {
    const { credentials, connectDevice, connectService, connect, broker } = await start();
    const proxy = await startBlackholeProxy(broker.port);
    cleanups.push(proxy.stop);
    const device = await credentials.addDevice();
    const service = await connectService();
    await service.subscribeAsync("devices/+/status", { qos: 1 });
    const camera = await connectDevice(device, { port: proxy.port, keepalive: 2, will: willFor(device.deviceId) });
    const online = nextMessage(service, deviceStatusTopic(device.deviceId));
    await camera.publishAsync(deviceStatusTopic(device.deviceId), onlineStatus, { qos: 1, retain: true });
    await online;

    const will = nextMessage(service, deviceStatusTopic(device.deviceId), 6000);
    const lostAt = Date.now();
    proxy.blackhole();
    expect(JSON.parse((await will).payload.toString())).toMatchObject({ state: "offline", reason: "lost" });
    // Not sooner than a keepalive (so no FIN gave it away), not later than keepalive × 1.5 and some slack.
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(2000);
    expect(Date.now() - lostAt).toBeLessThanOrEqual(2 * 1.5 * 1000 + 500);

    // A subscriber arriving later sees only the latest retained status.
    const late = await connect({
      clientId: "late-service",
      username: "wangxiang-gateway",
      password: "service-password-for-tests",
    });
    const retained: string[] = [];
    late.on("message", (_topic, payload) => retained.push(payload.toString()));
    await late.subscribeAsync(deviceStatusTopic(device.deviceId), { qos: 1 });
    // The store's retained messages for the topic come in one go after the SUBACK: the first is all of them.
    await waitFor("the retained status", () => retained.length > 0);
    expect(retained.map((p) => JSON.parse(p).state)).toEqual(["offline"]);
  });

  it("lets a second connection with the same client id take over the first, whose will fires", async () => {
    const { credentials, connectDevice, connectService, broker } = await start();
    const device = await credentials.addDevice();
    const service = await connectService();
    await service.subscribeAsync("devices/+/status", { qos: 1 });
    const first = await connectDevice(device, { will: willFor(device.deviceId) });
    const firstClosed = closed(first);
    const will = nextMessage(service, deviceStatusTopic(device.deviceId));
    const second = await connectDevice(device, { will: willFor(device.deviceId) });
    await firstClosed;
    expect(JSON.parse((await will).payload.toString())).toMatchObject({ state: "offline", reason: "lost" });
    expect(second.connected).toBe(true);
    await second.subscribeAsync(deviceCommandTopic(device.deviceId));
    expect(broker.connectedDeviceIds()).toEqual([device.deviceId]);
    expect(broker.metrics.connectedDevices).toBe(1);
  });

  it("disconnectDevice kicks the device, fires its will, and a revoked device stays out", async () => {
    const { credentials, connectDevice, connectService, broker } = await start();
    const device = await credentials.addDevice();
    const service = await connectService();
    await service.subscribeAsync("devices/+/status", { qos: 1 });
    const camera = await connectDevice(device, { will: willFor(device.deviceId) });
    expect(broker.connectedDeviceIds()).toEqual([device.deviceId]);

    credentials.setState(device.deviceId, "revoked");
    const will = nextMessage(service, deviceStatusTopic(device.deviceId));
    const kicked = closed(camera);
    broker.disconnectDevice(device.deviceId);
    await kicked;
    expect(JSON.parse((await will).payload.toString())).toMatchObject({ state: "offline", reason: "lost" });
    expect(broker.connectedDeviceIds()).toEqual([]);
    expect(await refusalCode(connectDevice(device))).toBe(5);
  });
});

describe("limits", () => {
  it("closes a connection that announces a packet above maxPacketBytes, and counts it", async () => {
    const { connectService, broker } = await start({ maxPacketBytes: 1024 });
    const service = await connectService();
    await service.publishAsync("devices/x/telemetry", Buffer.alloc(900), { qos: 1 });
    const dropped = closed(service);
    service.publish("devices/x/telemetry", Buffer.alloc(2000), { qos: 0 });
    await dropped;
    expect(broker.metrics.oversizePackets).toBe(1);
  });

  it("closes a connection that uses a topic deeper than maxTopicLevels", async () => {
    const { connectService, broker } = await start({ maxTopicLevels: 8 });
    const publisher = await connectService();
    await publisher.publishAsync("devices/a/b/c/d/e/f/g", "fits", { qos: 1 });
    let dropped = closed(publisher);
    publisher.publish("devices/a/b/c/d/e/f/g/h", "too deep", { qos: 1 });
    await dropped;
    const subscriber = await connectService();
    dropped = closed(subscriber);
    subscriber.subscribe("devices/a/b/c/d/e/f/g/h");
    await dropped;
    expect(broker.metrics.topicTooDeep).toBe(2);
  });

  it("destroys new TCP connections beyond the connection rate's burst", async () => {
    const { rawSocket, broker } = await start({ connectBurst: 3, connectRatePerSecond: 1 });
    const sockets = await Promise.all(Array.from({ length: 5 }, () => rawSocket()));
    const closedSockets = sockets.map((socket) =>
      closed(socket, 1000).then(
        () => true,
        () => false,
      ),
    );
    expect((await Promise.all(closedSockets)).filter(Boolean)).toHaveLength(2);
    expect(broker.metrics.connectionsRefusedRate).toBe(2);
    expect(broker.metrics.connectionsAccepted).toBe(3);
  });

  it("refuses an address with too many auth failures without checking, except credentials already proven", async () => {
    const { credentials, connectDevice, broker } = await start({ authFailuresPerMinutePerIp: 2 });
    const [known, fresh] = [await credentials.addDevice(), await credentials.addDevice()];
    (await connectDevice(known)).end(true);
    for (let i = 0; i < 2; i++) expect(await refusalCode(connectDevice({ ...fresh, secret: "guess" }))).toBe(5);

    expect(await refusalCode(connectDevice(fresh))).toBe(5);
    expect(broker.metrics.authRateLimited).toBe(1);
    await connectDevice(known);
  });

  it("one address opening connections as fast as it can does not starve 12 cameras from another address", async () => {
    const { credentials, connectDeviceFrom, broker } = await start({
      connectRatePerSecond: 30,
      connectBurst: 30,
      connectRatePerAddress: 12,
      connectBurstPerAddress: 12,
    });
    const cameras = await Promise.all(Array.from({ length: 12 }, () => credentials.addDevice()));
    const flood = floodConnections(broker.port, "127.0.0.1");
    cleanups.push(async () => flood.stop());
    await waitFor("the flood to pass the broker's burst", () => flood.opened > 200);
    const clients = await Promise.all(
      cameras.map((camera) => connectDeviceFrom("127.0.0.2", camera, { connectTimeout: 30_000 })),
    );
    flood.stop();
    expect(clients.every((client) => client.connected)).toBe(true);
    expect(broker.metrics.connectionsOverAddressRate).toBeGreaterThan(100);
  });

  it("a camera whose credential this broker has proven gets in while its own address is over its rate; a new one is told to retry (3)", async () => {
    const { credentials, connectDeviceFrom, broker } = await start({
      connectRatePerSecond: 1000,
      connectBurst: 1000,
      connectRatePerAddress: 20,
      connectBurstPerAddress: 20,
    });
    const proven = await Promise.all(Array.from({ length: 12 }, () => credentials.addDevice()));
    for (const client of await Promise.all(proven.map((camera) => connectDeviceFrom("127.0.0.3", camera))))
      await client.endAsync(true);
    const flood = floodConnections(broker.port, "127.0.0.3");
    cleanups.push(async () => flood.stop());
    await waitFor("the address to run over its rate", () => broker.metrics.connectionsOverAddressRate > 50);
    // Cameras retry after a dropped socket, as they do: a few attempts may find every probation slot taken.
    const clients = await Promise.all(
      proven.map((camera) => connectWithRetries(() => connectDeviceFrom("127.0.0.3", camera))),
    );
    expect(clients.every((client) => client.connected)).toBe(true);
    // A new stranger each try: one that got in during a lull in the flood would be proven from then on.
    await waitFor("a stranger's attempt to be decided while over rate", async () => {
      const stranger = await credentials.addDevice();
      const code = await refusalCode(connectDeviceFrom("127.0.0.3", stranger)).catch(() => "no CONNACK");
      return code === 3;
    });
    flood.stop();
  });

  it("closes a socket that sends garbage and keeps serving everyone else", async () => {
    const { rawSocket, connectService } = await start();
    const sockets = await Promise.all(Array.from({ length: 20 }, () => rawSocket()));
    const allClosed = Promise.all(sockets.map((socket) => closed(socket)));
    for (const socket of sockets) socket.write(randomBytes(100 * 1024));
    await allClosed;
    const service = await connectService();
    await service.publishAsync("devices/x/telemetry", "still alive", { qos: 1 });
  });
});

describe("stop", () => {
  it("closes connected devices and sockets that never sent CONNECT, without waiting for the CONNECT timeout", async () => {
    const { broker, credentials, connectDevice, rawSocket } = await start({ connectTimeoutS: 60 });
    const camera = await connectDevice(await credentials.addDevice());
    const silent = await rawSocket();
    const allClosed = Promise.all([closed(camera), closed(silent)]);
    await broker.stop();
    await allClosed;
  });
});

describe("start", () => {
  it("rejects with a one-line message naming MQTT_PORT when the port is taken", async () => {
    const { broker } = await start();
    const second = createBroker({
      config: { ...readBrokerConfig({}), host: "127.0.0.1", port: broker.port },
      credentials: stack!.credentials,
      credentialHasher: stack!.credentials.hasher,
      service: { username: "s", passwordHash: "x" },
    });
    await expect(second.start()).rejects.toThrow(
      `MQTT port ${broker.port} is already in use; set MQTT_PORT to another port`,
    );
    await second.stop();
  });
});
