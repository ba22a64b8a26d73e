// One camera connection against a real aedes broker (port 0), watched by an MQTT subscriber.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deviceCommandTopic, deviceStatusTopic, deviceTelemetryTopic, heartbeatMessage } from "../../protocol/index.ts";
import {
  observe,
  startTestBroker,
  type Observer,
  type Recorded,
  type TestBroker,
} from "../../test/helpers/sim-helpers.ts";
import type { DeviceRefusal } from "./device-types.ts";
import { silentLogger } from "./log.ts";
import { MqttSession, type MqttSessionEvents } from "./mqtt-session.ts";

let broker: TestBroker;
let observer: Observer;
const sessions: MqttSession[] = [];

beforeAll(async () => {
  broker = await startTestBroker();
  observer = await observe(broker.url, ["devices/#"]);
});
afterAll(async () => {
  await observer.close();
  await broker.close();
});
afterEach(() => {
  for (const session of sessions.splice(0)) session.drop();
});

function newSession(capabilities?: () => { talkback: boolean }) {
  const deviceId = "cam_" + randomBytes(6).toString("hex");
  const session = new MqttSession({
    credentials: {
      deviceId,
      mqttUsername: deviceId,
      mqttPassword: "pw",
      mqttUrl: broker.url,
      heartbeatIntervalS: 1,
      keepaliveS: 2,
    },
    random: Math.random,
    log: silentLogger(),
    firmware: () => "2.0.0",
    ...(capabilities ? { capabilities } : {}),
  });
  sessions.push(session);
  return { session, deviceId };
}

function next<Name extends keyof MqttSessionEvents>(
  session: MqttSession,
  event: Name,
): Promise<MqttSessionEvents[Name]> {
  return new Promise((resolve) => session.events.once(event, (...args) => resolve(args)));
}

const status = (deviceId: string, state: string, reason: string) => (m: Recorded) =>
  m.topic === deviceStatusTopic(deviceId) &&
  (m.payload as { state: string }).state === state &&
  (m.payload as { reason: string }).reason === reason;

async function connected() {
  const { session, deviceId } = newSession();
  await next(session, "connected");
  return { session, deviceId };
}

describe("MqttSession", () => {
  it("refreshStatus: the retained 'online' again on the same connection, with the capabilities as they are now", async () => {
    let talkback = false;
    const { session, deviceId } = newSession(() => ({ talkback }));
    await next(session, "connected");
    expect(await session.announce("boot")).toBe(true);
    talkback = true;
    const from = observer.messages.length;
    await session.refreshStatus();
    const refreshed = await observer.next(
      (m) => m.topic === deviceStatusTopic(deviceId) && (m.payload as { reason?: string }).reason === undefined,
      5_000,
      from,
    );
    expect(refreshed.payload).toMatchObject({ state: "online", session: session.id, capabilities: { talkback: true } });
  });

  it("announce: subscribed to commands before the retained 'online', which carries the session id and firmware", async () => {
    const { session, deviceId } = await connected();
    const commands: Buffer[] = [];
    session.events.on("command", (payload) => void commands.push(payload));
    const from = observer.messages.length;
    expect(await session.announce("boot")).toBe(true);
    await observer.next(status(deviceId, "online", "boot"), 5_000, from);
    const late = await observe(broker.url, [deviceStatusTopic(deviceId)]);
    const retained = await late.next(() => true);
    await late.close();
    expect(retained).toMatchObject({
      retain: true,
      payload: { state: "online", session: session.id, firmware: "2.0.0" },
    });
    await observer.client.publishAsync(deviceCommandTopic(deviceId), "hello", { qos: 1 });
    await expect.poll(() => commands.map(String)).toEqual(["hello"]);
  });

  it("drop: the socket dies without DISCONNECT, so the broker publishes the will ('lost', this session)", async () => {
    const { session, deviceId } = await connected();
    await session.announce("boot");
    const from = observer.messages.length;
    session.drop();
    const will = await observer.next(status(deviceId, "offline", "lost"), 5_000, from);
    expect(will.payload).toMatchObject({ session: session.id });
  });

  it("leave: retained offline with the reason, then DISCONNECT, so no will", async () => {
    const { session, deviceId } = await connected();
    await session.announce("boot");
    const from = observer.messages.length;
    await session.leave("shutdown");
    await observer.next(status(deviceId, "offline", "shutdown"), 5_000, from);
    // The broker publishes a will, if any, when it handles the closed socket; a fresh subscriber's retained
    // copy is then the will. It still says "shutdown".
    const late = await observe(broker.url, [deviceStatusTopic(deviceId)]);
    const retained = await late.next(() => true);
    await late.close();
    expect(retained.payload).toMatchObject({ state: "offline", reason: "shutdown" });
  });

  it("heartbeats: one at once, then every interval; none after detach", async () => {
    const { session, deviceId } = await connected();
    let sent = 0;
    const from = observer.messages.length;
    session.startHeartbeat(
      0.05,
      () =>
        heartbeatMessage.parse({
          at: new Date().toISOString(),
          uptimeS: 1,
          firmware: "2.0.0",
          privacy: false,
          rssi: -60,
          temperatureC: 40,
          freeStorageMb: 100,
        }),
      () => void (sent += 1),
    );
    expect(sent).toBe(1);
    await expect
      .poll(() => observer.messages.slice(from).filter((m) => m.topic === deviceTelemetryTopic(deviceId)).length)
      .toBeGreaterThanOrEqual(3);
    session.detach();
    const sentAtDetach = sent;
    await session.leave("shutdown"); // a round trip through the broker: any heartbeat still queued would be before it
    expect(sent).toBe(sentAtDetach);
  });

  it("a lost connection emits 'closed' once; a detached one emits nothing", async () => {
    const { session } = await connected();
    const other = await connected();
    const closed: string[] = [];
    session.events.on("closed", () => void closed.push("first"));
    other.session.events.on("closed", () => void closed.push("other"));
    other.session.detach();
    const firstClosed = next(session, "closed");
    await broker.pause();
    await firstClosed;
    await broker.resume();
    expect(closed).toEqual(["first"]);
  });

  it("CONNACK 'not authorized': refused with the code", async () => {
    const deviceId = "cam_" + randomBytes(6).toString("hex");
    broker.denied.add(deviceId);
    const session = new MqttSession({
      credentials: {
        deviceId,
        mqttUsername: deviceId,
        mqttPassword: "pw",
        mqttUrl: broker.url,
        heartbeatIntervalS: 1,
        keepaliveS: 2,
      },
      random: Math.random,
      log: silentLogger(),
      firmware: () => "2.0.0",
    });
    sessions.push(session);
    const [refusal] = (await next(session, "refused")) as [DeviceRefusal];
    expect(refusal).toEqual({ stage: "mqtt", code: "connack-5", message: "not authorized" });
    expect(session.connected).toBe(false);
  });
});
