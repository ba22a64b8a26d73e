// The device plane end to end: real broker, real gateway, real database, cameras as plain MQTT clients.
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  deviceCommandResponseTopic,
  deviceCommandTopic,
  deviceEventsTopic,
  deviceStatusTopic,
  deviceTelemetryTopic,
} from "../protocol/topics.ts";
import { connectAsDevice, installDemoCamera, startStack, waitFor, type Stack, type TestJson } from "./helpers/stack.ts";

const heartbeat = (uptimeS: number, rssi: number | null = -67) =>
  JSON.stringify({
    at: new Date().toISOString(),
    uptimeS,
    rssi,
    temperatureC: 41.5,
    firmware: "1.0.0",
    freeStorageMb: 2900,
    privacy: false,
  });

function openLive(stack: Stack, token: string): Promise<{ socket: WebSocket; messages: TestJson[] }> {
  const socket = new WebSocket(`${stack.httpUrl.replace("http", "ws")}/api/v1/live`, ["wangxiang", `bearer.${token}`]);
  const messages: TestJson[] = [];
  socket.on("message", (data) => messages.push(JSON.parse(String(data))));
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve({ socket, messages }));
    socket.once("error", reject);
  });
}

describe("device plane", () => {
  let stack: Stack;
  let staff: string;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    stack = await startStack({
      OFFLINE_ALERT_AFTER_S: "0.6",
      OFFLINE_ALERT_REPEAT_S: "0.6",
      ALERT_CHECK_INTERVAL_S: "0.2",
      COMMAND_TIMEOUT_MS: "700",
    });
    staff = await stack.login("staff");
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await stack.stop();
  });
  const device = async (index: number) => {
    const camera = await installDemoCamera(stack, index);
    const client = await connectAsDevice(stack, camera.deviceId, camera.password);
    clients.push(client);
    return { ...camera, client };
  };
  const detail = async (deviceId: string) =>
    (await stack.api("GET", `/api/v1/devices/${deviceId}`, { token: staff })).body;

  it("a camera comes online, its heartbeats are stored, the fleet counts it by village", async () => {
    const { deviceId, client } = await device(0);
    await waitFor("online", async () => (await detail(deviceId)).connection === "online");
    client.publish(deviceTelemetryTopic(deviceId), heartbeat(12), { qos: 1 });
    const d = await waitFor("heartbeat stored", async () => {
      const x = await detail(deviceId);
      return x.lastHeartbeatAt ? x : null;
    });
    expect(d).toMatchObject({ rssi: -67, temperatureC: 41.5, firmware: "1.0.0", uptimeS: 12, freeStorageMb: 2900 });
    const history = await stack.api("GET", `/api/v1/devices/${deviceId}/heartbeats`, { token: staff });
    expect(history.body.items).toHaveLength(1);
    // A wired camera (a bridged IP camera on Ethernet) has no signal to report: stored and shown as none.
    client.publish(deviceTelemetryTopic(deviceId), heartbeat(13, null), { qos: 1 });
    const wired = await waitFor("the wired heartbeat stored", async () => {
      const x = await detail(deviceId);
      return x.uptimeS === 13 ? x : null;
    });
    expect(wired.rssi).toBeNull();
    const both = await stack.api("GET", `/api/v1/devices/${deviceId}/heartbeats`, { token: staff });
    expect(both.body.items.map((b: { rssi: number | null }) => b.rssi)).toEqual([null, -67]);
    const summary = await stack.api("GET", "/api/v1/fleet/summary", { token: staff });
    expect(summary.body.villages.find((v: { village: string }) => v.village === "青平镇普仁村")).toMatchObject({
      online: 1,
    });
    const online = await stack.api("GET", "/api/v1/devices?connection=online", { token: staff });
    expect(online.body.items.map((x: { id: string }) => x.id)).toContain(deviceId);
  });

  it("power loss: the broker publishes the will and the camera is offline within keepalive × 1.5; an alert is raised, repeated and resolved", async () => {
    const live = await openLive(stack, staff);
    const { deviceId, password, client } = await device(1);
    await waitFor("online", async () => (await detail(deviceId)).connection === "online");
    const lostAt = Date.now();
    client.stream.destroy(); // no DISCONNECT: like pulling the plug
    await waitFor("offline", async () => (await detail(deviceId)).connection === "offline", 5000);
    const elapsed = Date.now() - lostAt;
    expect(elapsed).toBeLessThan(2 * 1500 + 500); // keepalive 2 s × 1.5, plus polling slack

    const raised = await waitFor("alert raised", () =>
      live.messages.find((m) => m.type === "alert.raised" && m.alert.deviceId === deviceId),
    );
    await waitFor("alert repeated", () =>
      live.messages.find(
        (m) => m.type === "alert.repeated" && m.alert.deviceId === deviceId && m.alert.notifyCount >= 2,
      ),
    );
    const open = await stack.api("GET", "/api/v1/alerts?state=open", { token: staff });
    expect(open.body.items.map((a: { id: string }) => a.id)).toContain(raised.alert.id);
    const ack = await stack.api("POST", `/api/v1/alerts/${raised.alert.id}/ack`, { token: staff });
    expect(ack.body.acknowledgedBy).toBe("staff");

    clients.push(await connectAsDevice(stack, deviceId, password));
    const resolved = await waitFor("alert resolved", () =>
      live.messages.find((m) => m.type === "alert.resolved" && m.alert.id === raised.alert.id),
    );
    expect(resolved.alert.resolvedAt).not.toBeNull();
    expect(
      live.messages.filter((m) => m.type === "device.connection" && m.deviceId === deviceId).map((m) => m.state),
    ).toEqual(["online", "offline", "online"]);
    live.socket.close();
  });

  it("computes uptime exactly from the stored transitions", async () => {
    const { deviceId } = await installDemoCamera(stack, 2);
    const now = Date.now();
    const h = 3600_000;
    // installed 10 h ago; offline from -6 h to -4 h; online since → 8 of 10 hours in the last 24 h
    await stack.db.deviceStatusChange.createMany({
      data: [
        { deviceId, state: "online", reason: "boot", at: new Date(now - 10 * h) },
        { deviceId, state: "offline", reason: "lost", at: new Date(now - 6 * h) },
        { deviceId, state: "online", reason: "reconnect", at: new Date(now - 4 * h) },
      ],
    });
    const { uptime } = await detail(deviceId);
    expect(uptime.h24).toBeCloseTo(0.8, 3);
    expect(uptime.d7).toBeCloseTo(0.8, 3);
    expect(uptime.d30).toBeCloseTo(0.8, 3);
  });

  it("commands: a round trip through the camera, and a clear answer when it stays silent", async () => {
    const { deviceId, client } = await device(3);
    await waitFor("online", async () => (await detail(deviceId)).connection === "online");
    await new Promise<void>((resolve) => client.subscribe(deviceCommandTopic(deviceId), { qos: 1 }, () => resolve()));
    let answer = true;
    client.on("message", (_topic, payload) => {
      const cmd = JSON.parse(String(payload));
      if (!answer) return;
      expect(cmd.responseTopic).toBe(deviceCommandResponseTopic(deviceId));
      client.publish(
        cmd.responseTopic,
        JSON.stringify({ correlationId: cmd.correlationId, ok: true, result: { privacy: cmd.params.enabled } }),
        { qos: 1 },
      );
    });
    const done = await stack.api("POST", `/api/v1/devices/${deviceId}/commands`, {
      token: staff,
      body: { name: "privacy", params: { enabled: true } },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: "succeeded", result: { privacy: true }, name: "privacy" });
    expect((await detail(deviceId)).privacy).toBe(true);

    answer = false;
    const silent = await stack.api("POST", `/api/v1/devices/${deviceId}/commands`, {
      token: staff,
      body: { name: "reboot", params: {} },
    });
    expect(silent.status).toBe(504);
    expect(silent.body).toMatchObject({ error: "camera-did-not-answer" });
    expect(silent.body.message).toMatch(/camera did not answer/);
    const list = await stack.api("GET", `/api/v1/devices/${deviceId}/commands`, { token: staff });
    expect(list.body.items.map((c: { status: string }) => c.status)).toEqual(["timed-out", "succeeded"]);

    const bad = await stack.api("POST", `/api/v1/devices/${deviceId}/commands`, {
      token: staff,
      body: { name: "firmware-update", params: { url: "ftp://x", sha256: "nope", version: "2" } },
    });
    expect(bad.status).toBe(400);
  });

  it("revoking a camera drops its live session at once and its credentials stop working", async () => {
    const { deviceId, password, client } = await device(4);
    await waitFor("online", async () => (await detail(deviceId)).connection === "online");
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    expect((await stack.api("POST", `/api/v1/devices/${deviceId}/revoke`, { token: staff })).status).toBe(200);
    await closed;
    await expect(connectAsDevice(stack, deviceId, password)).rejects.toThrow(/Not authorized|Bad username/i);
    expect((await detail(deviceId)).connection).toBe("offline");
  });

  it("counts and drops malformed device payloads without falling over", async () => {
    const installer = await stack.login("installer");
    const reg = await stack.api("POST", "/api/v1/devices", { token: installer, body: { serial: "WX-TEST-BAD001" } });
    await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
      token: installer,
      body: { qr: reg.body.qr },
    });
    const claim = await stack.api("POST", "/api/v1/devices/claim", {
      body: { serial: "WX-TEST-BAD001", claimCode: reg.body.claimCode },
    });
    const client = await connectAsDevice(stack, claim.body.deviceId, claim.body.mqttPassword);
    clients.push(client);
    const id = claim.body.deviceId;
    const garbage: [string, string | Buffer][] = [
      [deviceTelemetryTopic(id), "not json"],
      [deviceTelemetryTopic(id), JSON.stringify({ uptimeS: -1 })],
      [deviceEventsTopic(id), JSON.stringify({ type: "explode" })],
      [deviceStatusTopic(id), Buffer.from([0xff, 0xfe, 0x00])],
      [deviceCommandResponseTopic(id), "{}"],
    ];
    for (const [topic, payload] of garbage) client.publish(topic, payload, { qos: 1 });
    const metrics = await waitFor("invalid payloads counted", async () => {
      const text = (await stack.api("GET", "/metrics")).body as string;
      const total = [...text.matchAll(/^wx_mqtt_invalid_payloads_total\{kind="[^"]+"\} (\d+)/gm)].reduce(
        (s, m) => s + Number(m[1]),
        0,
      );
      return total >= 5 ? text : null;
    });
    expect(metrics).toMatch(/wx_http_request_duration_seconds_bucket/);
    expect(metrics).toMatch(/wx_broker\{counter="connectedDevices"\}/);
    expect((await stack.api("GET", "/healthz")).body).toMatchObject({ status: "ok", database: "ok", broker: "ok" });
  });

  it("a camera cannot read or write another camera's topics through the real broker", async () => {
    const other = await stack.db.device.findFirstOrThrow({ where: { serial: stack.seed.cameras[0]!.serial } });
    const installer = await stack.login("installer");
    const reg = await stack.api("POST", "/api/v1/devices", { token: installer, body: { serial: "WX-TEST-ACL001" } });
    const claim = await stack.api("POST", "/api/v1/devices/claim", {
      body: { serial: "WX-TEST-ACL001", claimCode: reg.body.claimCode },
    });
    const intruder = await connectAsDevice(stack, claim.body.deviceId, claim.body.mqttPassword);
    clients.push(intruder);
    await expect(intruder.subscribeAsync(deviceCommandTopic(other.id), { qos: 1 })).rejects.toThrow(); // SUBACK 0x80
    const before = (await detail(other.id)).connection;
    intruder.publish(
      deviceStatusTopic(other.id),
      JSON.stringify({ state: before === "online" ? "offline" : "online", at: new Date().toISOString() }),
      { qos: 0 },
    );
    await waitFor("intruder dropped", () => !intruder.connected);
    expect((await detail(other.id)).connection).toBe(before);
  });

  it("the live socket refuses strangers and answers bad messages with an error", async () => {
    const stranger = new WebSocket(`${stack.httpUrl.replace("http", "ws")}/api/v1/live`, ["wangxiang", "bearer.nope"]);
    const code = await new Promise<number>((resolve) => stranger.on("close", (c) => resolve(c)));
    expect(code).toBe(4401);
    const live = await openLive(stack, staff);
    live.socket.send("{not json");
    live.socket.send(JSON.stringify({ type: "subscribe-everything" }));
    live.socket.send(JSON.stringify({ type: "ping", id: "p1" }));
    await waitFor("pong", () => live.messages.find((m) => m.type === "pong"));
    expect(live.messages.filter((m) => m.type === "error").map((m) => m.error)).toEqual([
      "invalid-message",
      "invalid-message",
    ]);
    live.socket.close();
  });

  it("serves its OpenAPI document", async () => {
    const doc = await stack.api("GET", "/openapi.json");
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/devices/claim", "/api/v1/devices/{deviceId}/commands", "/api/v1/fleet/summary"]),
    );
  });
});
