// The device ingest's own MQTT link against a scripted broker: the test decides which packets the gateway
// receives, in which order. The cluster end to end (two aedes brokers on one Redis) is test/cluster.test.ts;
// the order scripted here is one those brokers produced there when the retained replay was slow.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import mqttPacket, { type Packet } from "mqtt-packet";
import { afterEach, describe, expect, it } from "vitest";
import { TypedEvents } from "../../../core/events.ts";
import { deviceStatusTopic } from "../../../protocol/topics.ts";
import { waitFor } from "../../../test/helpers/stack.ts";
import { createMetrics } from "../metrics.ts";
import type { Leadership, LeadershipEvents } from "./cluster.ts";
import { DeviceIngest } from "./device-ingest.ts";
import { DeviceLink } from "./device-link.ts";
import type { DeviceStateTracker, StatusUpdate } from "./device-state.ts";

const log = {
  info() {},
  warn: (o: object, msg?: string) => console.error(msg, o),
  error: (o: object, msg?: string) => console.error(msg, o),
};

/** A broker that answers CONNECT and hands each SUBSCRIBE to the test, which writes what follows it. */
async function scriptedBroker() {
  const subscribes: Array<{ messageId: number; topics: string[] }> = [];
  let socket: Socket | null = null;
  const server: Server = createServer((s) => {
    socket = s;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on("packet", (packet: Packet) => {
      if (packet.cmd === "connect") write({ cmd: "connack", returnCode: 0, sessionPresent: false });
      if (packet.cmd === "subscribe")
        subscribes.push({ messageId: packet.messageId!, topics: packet.subscriptions.map((s) => s.topic) });
      if (packet.cmd === "unsubscribe") write({ cmd: "unsuback", messageId: packet.messageId!, granted: [] });
      if (packet.cmd === "pingreq") write({ cmd: "pingresp" });
    });
    s.on("data", (chunk) => parser.parse(chunk));
    s.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  let nextId = 1000;
  function write(packet: Packet): void {
    socket!.write(mqttPacket.generate(packet));
  }
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    subscribes,
    suback(messageId: number, count: number) {
      write({ cmd: "suback", messageId, granted: Array<0 | 1>(count).fill(1) });
    },
    status(deviceId: string, status: object, retain: boolean) {
      write({
        cmd: "publish",
        messageId: nextId++,
        qos: 1,
        dup: false,
        retain,
        topic: deviceStatusTopic(deviceId),
        payload: Buffer.from(JSON.stringify({ at: new Date().toISOString(), ...status })),
      });
    },
    async close() {
      socket?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

class FakeLeadership implements Leadership {
  readonly events = new TypedEvents<LeadershipEvents>({ log, name: "leadership" });
  isLeader = false;
  async start() {}
  async stop() {}
  lead() {
    this.isLeader = true;
    this.events.emit("change", true);
  }
}

let cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A standby gateway's ingest on the scripted broker; `applied` is what reaches the state tracker, in order. */
async function standbyIngest() {
  const broker = await scriptedBroker();
  const applied: Array<[string, StatusUpdate["state"], string | null]> = [];
  const state = {
    applyStatus: async (deviceId: string, status: StatusUpdate) =>
      void applied.push([deviceId, status.state, status.reason]),
  } as unknown as DeviceStateTracker;
  const leadership = new FakeLeadership();
  const ingest = new DeviceIngest({
    link: new DeviceLink(log),
    db: {} as never,
    state,
    heartbeats: {} as never,
    commands: {} as never,
    hub: {} as never,
    metrics: createMetrics(),
    log,
    leadership,
  });
  cleanups.push(
    () => broker.close(),
    () => ingest.stop(),
  );
  await ingest.start({ url: broker.url, username: "gateway", password: "unused" });
  await waitFor("the standby's subscription", () => broker.subscribes.length === 1);
  broker.suback(broker.subscribes[0]!.messageId, broker.subscribes[0]!.topics.length);
  return { broker, applied, leadership };
}

/** The gateway becomes the ingest leader and subscribes; the broker acknowledges. */
async function takeOver(broker: Awaited<ReturnType<typeof scriptedBroker>>, leadership: FakeLeadership) {
  const before = broker.subscribes.length;
  leadership.lead();
  await waitFor("the leader's subscription", () => broker.subscribes.length === before + 1);
  const subscribe = broker.subscribes.at(-1)!;
  expect(subscribe.topics).toContain("devices/+/status");
  broker.suback(subscribe.messageId, subscribe.topics.length);
}

describe("a new ingest leader and the retained statuses replayed to it", () => {
  it("a replayed status older than the live one the leader already has does not undo it", async () => {
    const { broker, applied, leadership } = await standbyIngest();
    await takeOver(broker, leadership);
    // In a cluster the replay is read from Redis after the SUBSCRIBE, then delivered: a will stored and
    // published live in between reaches the gateway first, and the "online" read before it comes after.
    broker.status("dev_cam", { state: "offline", reason: "lost", session: "s1" }, false);
    broker.status("dev_cam", { state: "online", reason: "boot", session: "s1" }, true);
    // A replayed status of a camera with nothing live since: applied, and it comes after the two above.
    broker.status("dev_other", { state: "online", reason: "boot", session: "s2" }, true);
    await waitFor("the replay handled", () => applied.some(([deviceId]) => deviceId === "dev_other"));
    expect(applied).toEqual([
      ["dev_cam", "offline", "lost"],
      ["dev_other", "online", "gateway-resync"],
    ]);
  });

  it("the replay of the next subscription applies again", async () => {
    const { broker, applied, leadership } = await standbyIngest();
    await takeOver(broker, leadership);
    broker.status("dev_cam", { state: "offline", reason: "lost", session: "s1" }, false);
    await waitFor("the live will", () => applied.length === 1);
    // Leadership lost and won again: whatever changed in between comes with the new subscription's replay.
    leadership.isLeader = false;
    leadership.events.emit("change", false);
    await takeOver(broker, leadership);
    broker.status("dev_cam", { state: "online", reason: "boot", session: "s3" }, true);
    await waitFor("the replay handled", () => applied.length === 2);
    expect(applied[1]).toEqual(["dev_cam", "online", "gateway-resync"]);
  });

  it("live statuses that reach the leader before its SUBACK do not hide the replay that follows it", async () => {
    const { broker, applied, leadership } = await standbyIngest();
    leadership.lead();
    await waitFor("the leader's subscription", () => broker.subscribes.length === 2);
    // Published before the replay was read: the replay holds this or something newer.
    broker.status("dev_cam", { state: "offline", reason: "lost", session: "s1" }, false);
    const subscribe = broker.subscribes[1]!;
    broker.suback(subscribe.messageId, subscribe.topics.length);
    broker.status("dev_cam", { state: "online", reason: "boot", session: "s2" }, true);
    await waitFor("the replay handled", () => applied.length === 2);
    expect(applied).toEqual([
      ["dev_cam", "offline", "lost"],
      ["dev_cam", "online", "gateway-resync"],
    ]);
  });
});
