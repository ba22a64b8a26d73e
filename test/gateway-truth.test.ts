// The gateway keeps alerts and connection state true: the find-overdue/create-alert race, cameras leaving
// service, cameras that never connect, a heartbeat as proof of life, and a WebSocket handler that fails.
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceTelemetryTopic } from "../protocol/topics.ts";
import { readCounter } from "./helpers/security-fixtures.ts";
import { connectAsDevice, installDemoCamera, liveSocket, startStack, waitFor, type Stack } from "./helpers/stack.ts";

const TEN_MINUTES_LATER = () => new Date(Date.now() + 10 * 60_000);

async function connectionOf(stack: Stack, deviceId: string): Promise<string> {
  return (await stack.db.device.findUniqueOrThrow({ where: { id: deviceId }, select: { connection: true } }))
    .connection;
}

async function openAlerts(stack: Stack, deviceId: string): Promise<number> {
  return stack.db.alert.count({ where: { deviceId, resolvedAt: null } });
}

/** A camera that was online and lost its connection (the broker publishes its will). */
async function cameraThatWentOffline(stack: Stack, index: number) {
  const camera = await installDemoCamera(stack, index);
  const client = await connectAsDevice(stack, camera.deviceId, camera.password);
  await waitFor("camera online", async () => (await connectionOf(stack, camera.deviceId)) === "online");
  client.stream.destroy();
  await waitFor("camera offline", async () => (await connectionOf(stack, camera.deviceId)) === "offline");
  client.end(true);
  return camera;
}

describe("alerts follow device state", () => {
  let stack: Stack;
  let staff: string;

  beforeAll(async () => {
    // Checks run only when the test asks, at a time of its choosing.
    stack = await startStack({ ALERT_CHECK_INTERVAL_S: "3600", OFFLINE_ALERT_AFTER_S: "300" });
    staff = await stack.login("staff");
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("a camera back between 'find overdue' and 'create alert' is left with no open alert", async () => {
    const camera = await cameraThatWentOffline(stack, 0);
    let returned = false;
    stack.gateway.alerts.pauseAfterOverdueFound = async (deviceIds) => {
      if (!deviceIds.includes(camera.deviceId) || returned) return;
      returned = true;
      await connectAsDevice(stack, camera.deviceId, camera.password);
      await waitFor("camera back online", async () => (await connectionOf(stack, camera.deviceId)) === "online");
    };
    try {
      await stack.gateway.alerts.check(TEN_MINUTES_LATER());
    } finally {
      stack.gateway.alerts.pauseAfterOverdueFound = null;
    }
    expect(returned).toBe(true);
    expect(await openAlerts(stack, camera.deviceId)).toBe(0);
    // The next check still raises nothing for it.
    await stack.gateway.alerts.check(TEN_MINUTES_LATER());
    expect(await openAlerts(stack, camera.deviceId)).toBe(0);
  });

  it("revoking a camera closes its alert", async () => {
    const camera = await cameraThatWentOffline(stack, 1);
    await stack.gateway.alerts.check(TEN_MINUTES_LATER());
    expect(await openAlerts(stack, camera.deviceId)).toBe(1);
    expect((await stack.api("POST", `/api/v1/devices/${camera.deviceId}/revoke`, { token: staff })).status).toBe(200);
    expect(await openAlerts(stack, camera.deviceId)).toBe(0);
  });

  it("replacing a camera closes the old one's alert", async () => {
    const broken = await cameraThatWentOffline(stack, 2);
    await stack.gateway.alerts.check(TEN_MINUTES_LATER());
    expect(await openAlerts(stack, broken.deviceId)).toBe(1);
    const spare = stack.seed.cameras[3]!;
    const replaced = await stack.api("POST", `/api/v1/devices/${broken.deviceId}/replace`, {
      token: staff,
      body: { serial: spare.serial, claimCode: spare.claimCode },
    });
    expect(replaced.status).toBe(200);
    expect(await openAlerts(stack, broken.deviceId)).toBe(0);
  });

  it("an alert left open for a camera now online is resolved by the next check", async () => {
    // Camera 0 is online again since the first test.
    const cameraId = (await stack.db.device.findFirstOrThrow({ where: { serial: stack.seed.cameras[0]!.serial } })).id;
    expect(await connectionOf(stack, cameraId)).toBe("online");
    // As a gateway before this fix (or a crash between two writes) could leave it.
    await stack.db.alert.create({
      data: {
        id: "alr_leftover",
        deviceId: cameraId,
        kind: "offline",
        raisedAt: new Date(),
        lastNotifiedAt: new Date(),
      },
    });
    await stack.gateway.alerts.check(new Date());
    expect(await openAlerts(stack, cameraId)).toBe(0);
  });

  it("a claimed camera that never connects raises an alert", async () => {
    const camera = await installDemoCamera(stack, 4);
    expect(await connectionOf(stack, camera.deviceId)).toBe("unknown");
    await stack.gateway.alerts.check(new Date());
    expect(await openAlerts(stack, camera.deviceId)).toBe(0); // just claimed: not overdue yet
    await stack.gateway.alerts.check(TEN_MINUTES_LATER());
    expect(await openAlerts(stack, camera.deviceId)).toBe(1);
    const listed = await stack.api("GET", "/api/v1/alerts?state=open", { token: staff });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((a: { deviceId: string }) => a.deviceId)).toContain(camera.deviceId);
  });
});

describe("connection truth and a failing WebSocket handler", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("a heartbeat from a camera recorded offline brings it online, with its transition", async () => {
    const camera = await installDemoCamera(stack, 0);
    // Connected, but its status message was never seen (as when it was published while the gateway restarted).
    const client = await mqtt.connectAsync(stack.mqttUrl, {
      clientId: camera.deviceId,
      username: camera.deviceId,
      password: camera.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    try {
      expect(await connectionOf(stack, camera.deviceId)).not.toBe("online");
      const heartbeat = {
        at: new Date().toISOString(),
        uptimeS: 10,
        rssi: -60,
        temperatureC: 30,
        firmware: "1.0.0",
        freeStorageMb: 100,
        privacy: false,
      };
      await client.publishAsync(deviceTelemetryTopic(camera.deviceId), JSON.stringify(heartbeat), { qos: 1 });
      await waitFor(
        "online through the heartbeat",
        async () => (await connectionOf(stack, camera.deviceId)) === "online",
      );
      const transitions = await stack.db.deviceStatusChange.findMany({
        where: { deviceId: camera.deviceId },
        orderBy: { at: "asc" },
      });
      expect(transitions.at(-1)).toMatchObject({ state: "online", reason: "heartbeat" });
    } finally {
      await client.endAsync(true);
    }
  });

  it("a WebSocket message whose database call fails is answered with an error; the gateway lives", async () => {
    const family = await stack.login("family");
    const socket = liveSocket(stack, family);
    const received: { type: string; error?: string }[] = [];
    socket.on("message", (data) => received.push(JSON.parse(String(data))));
    await waitFor("hello", () => received.some((m) => m.type === "hello"));
    const failuresBefore = await readCounter(stack, "wx_ws_handler_failures_total");
    // A real database error: the table a family filter reads is gone for a moment.
    await stack.db.$executeRawUnsafe('ALTER TABLE "HouseholdMember" RENAME TO "HouseholdMember_away"');
    try {
      socket.send(JSON.stringify({ type: "filter", villages: ["普仁村"] }));
      await waitFor("an error answer", () => received.find((m) => m.type === "error"));
    } finally {
      await stack.db.$executeRawUnsafe('ALTER TABLE "HouseholdMember_away" RENAME TO "HouseholdMember"');
    }
    expect(received.find((m) => m.type === "error")).toMatchObject({ error: "internal" });
    expect(await readCounter(stack, "wx_ws_handler_failures_total")).toBe(failuresBefore + 1);
    // Same socket, same process: still answering.
    socket.send(JSON.stringify({ type: "ping", id: "after" }));
    await waitFor("pong", () => received.some((m) => m.type === "pong"));
    expect((await stack.api("GET", "/healthz")).status).toBe(200);
    socket.close();
  });
});
