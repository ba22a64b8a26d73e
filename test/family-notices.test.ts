// Telling the family: a camera offline FAMILY_NOTICE_OFFLINE_S (30 min) is told to the household by Web Push
// (decrypted here as the phone's browser would) and on the open app, and again when it is back; each member
// chooses which they get. The alert check takes its clock as an argument, so half an hour passes without
// waiting. Gateways restart on the same database in between: nothing is told twice and nothing due is lost.
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { pushPayload } from "../protocol/calls.ts";
import {
  decryptPush,
  startTestPushService,
  type BrowserSubscription,
  type TestPushService,
} from "./helpers/push-service.ts";
import {
  connectAsDevice,
  installDemoCamera,
  liveSocket,
  startStack,
  waitFor,
  type Stack,
  type TestJson,
} from "./helpers/stack.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

const env = { OFFLINE_ALERT_AFTER_S: "60", ALERT_CHECK_INTERVAL_S: "3600" }; // checks run when the test says
const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000);

let push: TestPushService;
let database: TestDatabase;
let stack: Stack;
let householdId: string;
let camera: { deviceId: string; password: string };
let cameraClient: MqttClient | null = null;
const phones: Record<string, BrowserSubscription> = {};
const sockets: WebSocket[] = [];

async function startGateway(): Promise<Stack> {
  return startStack(env, { database, push });
}

/** Stops the gateway and keeps its database for the next one. */
async function stopGateway(): Promise<void> {
  cameraClient?.end(true);
  cameraClient = null;
  for (const s of sockets.splice(0)) s.close();
  await stack.gateway.stop();
  await stack.db.$disconnect();
}

async function openLive(username: string, password?: string): Promise<TestJson[]> {
  const live: TestJson[] = [];
  const socket = liveSocket(stack, await stack.login(username, password));
  socket.on("message", (data) => live.push(JSON.parse(String(data))));
  sockets.push(socket);
  await waitFor("live hello", () => live.some((m) => m.type === "hello"));
  return live;
}

const pushesTo = (name: string) =>
  push.received
    .filter((p) => p.subscription === name)
    .map((p) => pushPayload.parse(JSON.parse(decryptPush(phones[name]!, p.body))));
const noticesStored = (kind: string) => stack.db.notice.count({ where: { kind } });

beforeAll(async () => {
  push = await startTestPushService();
  database = await createTestDatabase();
  stack = await startGateway();
  householdId = stack.seed.householdId;
  const family = await stack.login("family");
  const invite = await stack.api("POST", `/api/v1/households/${householdId}/invites`, { token: family, body: {} });
  const joined = await stack.api("POST", "/api/v1/auth/register", {
    body: { username: "xiaomei", password: "family-password-1", displayName: "小梅", inviteCode: invite.body.code },
  });
  for (const [name, token] of [
    ["family", family],
    ["xiaomei", joined.body.token as string],
  ] as const) {
    phones[name] = push.subscribe(name);
    const subscribed = await stack.api("POST", "/api/v1/push/subscriptions", {
      token,
      body: { endpoint: phones[name].endpoint, keys: phones[name].keys },
    });
    expect(subscribed.status).toBe(201);
  }
  camera = await installDemoCamera(stack);
  await stack.db.device.update({ where: { id: camera.deviceId }, data: { label: "堂屋" } });
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  cameraClient?.end(true);
  await stack?.gateway.stop();
  await stack?.db.$disconnect();
  await database?.drop();
  await push?.close();
});

describe("notice choices", () => {
  it("each member chooses which notices reach them; non-members and staff cannot", async () => {
    const url = `/api/v1/households/${householdId}/notice-preferences`;
    const xiaomei = await stack.login("xiaomei", "family-password-1");
    expect((await stack.api("GET", url, { token: xiaomei })).body).toEqual({ cameraOffline: true, cameraBack: true });
    const set = await stack.api("PUT", url, { token: xiaomei, body: { cameraOffline: false, cameraBack: true } });
    expect(set.body).toEqual({ cameraOffline: false, cameraBack: true });
    expect((await stack.api("GET", url, { token: await stack.login("family") })).body.cameraOffline).toBe(true);
    expect((await stack.api("PUT", url, { token: xiaomei, body: { cameraOffline: "no" } })).status).toBe(400);
    expect((await stack.api("GET", url, { token: await stack.login("staff") })).status).toBe(403);
    const other = `/api/v1/households/hh_elsewhere/notice-preferences`;
    expect((await stack.api("GET", other, { token: xiaomei })).status).toBe(404);
  });
});

describe("a camera offline for half an hour, and back", () => {
  it("says nothing before 30 minutes, though staff have their alert", async () => {
    cameraClient = await connectAsDevice(stack, camera.deviceId, camera.password);
    await waitFor(
      "online",
      async () => (await stack.db.device.findUnique({ where: { id: camera.deviceId } }))?.connection === "online",
    );
    cameraClient.stream.destroy(); // power cut: the broker publishes the will
    cameraClient = null;
    await waitFor(
      "offline",
      async () => (await stack.db.device.findUnique({ where: { id: camera.deviceId } }))?.connection === "offline",
    );
    await stack.gateway.alerts.check(minutesFromNow(10));
    expect(await stack.db.alert.count({ where: { deviceId: camera.deviceId, resolvedAt: null } })).toBe(1);
    expect(await stack.db.notice.count()).toBe(0);
  });

  it("a notice due while no gateway ran is sent by the next one, once, to those who chose it", async () => {
    await stopGateway();
    stack = await startGateway();
    const familyLive = await openLive("family");
    const xiaomeiLive = await openLive("xiaomei", "family-password-1");
    await stack.gateway.alerts.check(minutesFromNow(31));
    expect(await noticesStored("camera-offline")).toBe(1);
    const told = await waitFor("live notice", () => familyLive.find((m) => m.type === "notice"));
    expect(told.notice).toMatchObject({
      kind: "camera-offline",
      deviceId: camera.deviceId,
      title: "黄兴容家的摄像头离线了",
    });
    expect(told.notice.body).toMatch(/「堂屋」的摄像头已经断开 30 分钟/);
    expect(told.notice.body).toMatch(/停电|断网/);
    const [pushed] = await waitFor("push", () => pushesTo("family").length > 0 && pushesTo("family"));
    expect(pushed).toMatchObject({
      kind: "notice",
      title: "黄兴容家的摄像头离线了",
      url: `/family/camera/${camera.deviceId}`,
    });
    await stack.gateway.alerts.check(minutesFromNow(32));
    expect(await noticesStored("camera-offline")).toBe(1);
    expect(pushesTo("family")).toHaveLength(1);
    expect(pushesTo("xiaomei")).toHaveLength(0); // she chose not to hear of offline cameras
    expect(xiaomeiLive.some((m) => m.type === "notice")).toBe(false);
  });

  it("another restart tells nothing again; the camera back is told once, to both", async () => {
    await stopGateway();
    stack = await startGateway();
    const familyLive = await openLive("family");
    await stack.gateway.alerts.check(minutesFromNow(33));
    expect(await noticesStored("camera-offline")).toBe(1);
    cameraClient = await connectAsDevice(stack, camera.deviceId, camera.password);
    const back = await waitFor("back notice", () => familyLive.find((m) => m.type === "notice"));
    expect(back.notice).toMatchObject({ kind: "camera-back", title: "黄兴容家的摄像头恢复了" });
    for (const name of ["family", "xiaomei"])
      await waitFor(`back pushed to ${name}`, () => pushesTo(name).some((p) => p.title === "黄兴容家的摄像头恢复了"));
    await stack.gateway.alerts.check(minutesFromNow(34));
    expect(await noticesStored("camera-back")).toBe(1);
    expect(pushesTo("family")).toHaveLength(2);
    const counted = await stack.api("GET", "/metrics");
    expect(counted.body).toContain('wx_family_notices_total{kind="camera-back"} 1');
  });

  it("the household's notices list, newest first, for members and staff", async () => {
    const url = `/api/v1/households/${householdId}/notices`;
    const list = await stack.api("GET", url, { token: await stack.login("family") });
    expect(list.body.items.map((n: { kind: string }) => n.kind)).toEqual(["camera-back", "camera-offline"]);
    expect((await stack.api("GET", url, { token: await stack.login("staff") })).status).toBe(200);
    expect((await stack.api("GET", `${url}?limit=0`, { token: await stack.login("family") })).status).toBe(400);
  });
});

describe("a county's notices when the alert checks stop", () => {
  it("a stop ends them between two notices, and the next check tells the rest, once each", async () => {
    // A power cut takes a county's cameras offline at once; each notice is a row, a live event and a push to
    // every member, and the gateway's stop waited for all of them (past its 8 s deadline on a county).
    const cameras = 60;
    const now = new Date();
    const ids = Array.from({ length: cameras }, (_, i) => `dev_cut_${i}`);
    await stack.db.device.createMany({
      data: ids.map((id, i) => ({
        id,
        serial: `WX-CUT-${i}`,
        claimCodeHash: "unused",
        householdId,
        claimState: "claimed",
        connection: "offline",
        connectionSince: new Date(now.getTime() - 40 * 60_000),
      })),
    });
    await stack.db.alert.createMany({
      data: ids.map((deviceId, i) => ({
        id: `alr_cut_${i}`,
        deviceId,
        kind: "offline",
        raisedAt: new Date(now.getTime() - 35 * 60_000),
        lastNotifiedAt: now,
      })),
    });
    const offlinePushes = () => pushesTo("family").filter((p) => p.title === "黄兴容家的摄像头离线了").length;
    const pushedBefore = offlinePushes();
    const toldOf = () => stack.db.notice.count({ where: { kind: "camera-offline", deviceId: { in: ids } } });
    const { alerts, hub } = stack.gateway;
    const firstTold = new Promise<void>((resolve) => {
      const stopListening = hub.events.on("publish", (message) => {
        if (message.type !== "notice") return;
        stopListening();
        resolve();
      });
    });
    const checking = alerts.check(now);
    await firstTold;
    const stopStarted = performance.now();
    await alerts.stop();
    const stopMs = performance.now() - stopStarted;
    const toldBeforeStop = await toldOf();
    await checking;
    expect(toldBeforeStop).toBeGreaterThan(0);
    expect(toldBeforeStop, "stop() waited for every notice").toBeLessThan(cameras);
    expect(stopMs).toBeLessThan(1000);
    // The next check (the next leader's, or this gateway's when it leads again) tells the rest; none twice.
    await alerts.check(new Date(now.getTime() + 60_000));
    expect(await toldOf()).toBe(cameras);
    await waitFor("every offline notice pushed", () => offlinePushes() >= pushedBefore + cameras);
    expect(offlinePushes()).toBe(pushedBefore + cameras);
  });
});
