// Offline alert checks alone, on a real database (the test helper's), a real live hub and metrics registry.
// Each check is given its "now", so the thresholds are crossed without waiting.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDatabase, type Database } from "../../../core/database.ts";
import type { ServerMessage } from "../../../protocol/ws.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/test-database.ts";
import { LiveHub } from "../events/live-hub.ts";
import { createMetrics } from "../metrics.ts";
import { AlertMonitor } from "./alert-monitor.ts";

const MINUTE = 60_000;
const policy = {
  offlineAfterMs: 5 * MINUTE,
  neverOnlineAfterMs: 60 * MINUTE,
  repeatEveryMs: 60 * MINUTE,
  checkEveryMs: 60 * MINUTE,
};
const silentLog = { error: () => undefined };

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
  await db.household.create({
    data: { id: "hh_alert", village: "测试村", elderName: "李爷爷", contactPhone: "13900000000" },
  });
});

afterAll(async () => {
  await db.$disconnect();
  await testDb.drop();
});

function monitor(on: Database = db) {
  const events: ServerMessage[] = [];
  const hub = new LiveHub(silentLog);
  hub.add({
    canSeeDevice: () => true,
    isMember: () => true,
    canSeeInside: () => true,
    userId: "usr_test",
    send: (message) => events.push(message),
  });
  const alerts = new AlertMonitor(on, hub, createMetrics(), policy, silentLog);
  const about = (deviceId: string, type: string) =>
    events.filter((e) => e.type === type && "alert" in e && e.alert.deviceId === deviceId);
  return { alerts, about, hub };
}

async function camera(
  id: string,
  fields: { connection: string; since: Date | null; claimedAt?: Date; claimState?: string; boundAt?: Date },
) {
  await db.device.create({
    data: {
      id,
      serial: `WX-ALERT-${id}`,
      claimCodeHash: "unused",
      householdId: "hh_alert",
      claimState: fields.claimState ?? "claimed",
      connection: fields.connection,
      connectionSince: fields.since,
      claimedAt: fields.claimedAt ?? null,
      boundAt: fields.boundAt ?? null,
    },
  });
  return id;
}

const openAlerts = (deviceId: string) => db.alert.findMany({ where: { deviceId, resolvedAt: null } });

describe("alert monitor", () => {
  it("raises one alert for a camera offline past the threshold, and repeats it only when the repeat is due", async () => {
    const now = new Date();
    const id = await camera("dev_alert_off", { connection: "offline", since: new Date(now.getTime() - 6 * MINUTE) });
    const { alerts, about } = monitor();
    await alerts.check(now);
    await alerts.check(new Date(now.getTime() + MINUTE));
    expect(about(id, "alert.raised")).toHaveLength(1);
    expect(about(id, "alert.repeated")).toHaveLength(0);
    await alerts.check(new Date(now.getTime() + 61 * MINUTE));
    expect(about(id, "alert.repeated")).toHaveLength(1);
    expect((await openAlerts(id))[0]).toMatchObject({ kind: "offline", notifyCount: 2 });
  });

  it("leaves alone a camera offline for less than the threshold, and one never claimed", async () => {
    const now = new Date();
    const recent = await camera("dev_alert_recent", { connection: "offline", since: new Date(now.getTime() - MINUTE) });
    const shelf = await camera("dev_alert_shelf", { connection: "unknown", since: null, claimState: "registered" });
    const { alerts, about } = monitor();
    await alerts.check(now);
    expect(about(recent, "alert.raised")).toEqual([]);
    expect(about(shelf, "alert.raised")).toEqual([]);
  });

  it("raises an alert for a claimed camera that never connected within the threshold of its claim", async () => {
    const now = new Date();
    const id = await camera("dev_alert_never", {
      connection: "unknown",
      since: null,
      claimedAt: new Date(now.getTime() - 10 * MINUTE),
    });
    const { alerts, about } = monitor();
    await alerts.check(now);
    expect(about(id, "alert.raised")).toHaveLength(1);
    expect((await openAlerts(id))[0]).toMatchObject({ kind: "never-online" });
  });

  it("raises a never-online alert for a box bound to a home that never came online, an hour after binding", async () => {
    const now = new Date();
    const young = await camera("dev_alert_bound_young", {
      connection: "unknown",
      since: null,
      claimState: "registered",
      boundAt: new Date(now.getTime() - 30 * MINUTE),
    });
    const failed = await camera("dev_alert_bound_failed", {
      connection: "unknown",
      since: null,
      claimState: "registered",
      boundAt: new Date(now.getTime() - 61 * MINUTE),
    });
    const { alerts, about } = monitor();
    await alerts.check(now);
    expect(about(young, "alert.raised")).toEqual([]);
    expect(about(failed, "alert.raised")).toHaveLength(1);
    expect((await openAlerts(failed))[0]).toMatchObject({ kind: "never-online" });
    // The box claims at last: still never online, still alerted; online resolves it.
    await db.device.update({ where: { id: failed }, data: { claimState: "claimed", claimedAt: now } });
    await alerts.check(new Date(now.getTime() + MINUTE));
    expect(await openAlerts(failed)).toHaveLength(1);
    await db.device.update({ where: { id: failed }, data: { connection: "online", connectionSince: now } });
    await alerts.check(new Date(now.getTime() + 2 * MINUTE));
    expect(about(failed, "alert.resolved")).toHaveLength(1);
  });

  it("resolves the alert when the camera comes back, announced or found online at the next check", async () => {
    const now = new Date();
    const announced = await camera("dev_alert_back", {
      connection: "offline",
      since: new Date(now.getTime() - 9 * MINUTE),
    });
    const silent = await camera("dev_alert_found", {
      connection: "offline",
      since: new Date(now.getTime() - 9 * MINUTE),
    });
    const { alerts, about } = monitor();
    await alerts.check(now);
    await db.device.update({ where: { id: announced }, data: { connection: "online" } });
    await alerts.onConnectionChange({
      deviceId: announced,
      householdId: "hh_alert",
      state: "online",
      at: now,
      reason: "boot",
    });
    expect(about(announced, "alert.resolved")).toHaveLength(1);
    expect(await openAlerts(announced)).toEqual([]);
    // A camera marked online by another gateway of a cluster: reconciled by the next check.
    await db.device.update({ where: { id: silent }, data: { connection: "online" } });
    await alerts.check(new Date(now.getTime() + MINUTE));
    expect(about(silent, "alert.resolved")).toHaveLength(1);
    expect(await openAlerts(silent)).toEqual([]);
  });

  it("resolves at once an alert whose camera came back between the overdue query and the alert's creation", async () => {
    const now = new Date();
    const id = await camera("dev_alert_race", { connection: "offline", since: new Date(now.getTime() - 7 * MINUTE) });
    const { alerts, about } = monitor();
    alerts.pauseAfterOverdueFound = async (ids) => {
      if (ids.includes(id)) await db.device.update({ where: { id }, data: { connection: "online" } });
    };
    await alerts.check(now);
    expect(about(id, "alert.raised")).toHaveLength(1);
    expect(about(id, "alert.resolved")).toHaveLength(1);
    expect(await openAlerts(id)).toEqual([]);
  });

  it("a tick that finds the last check still running skips it instead of queueing another behind it", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const { alerts } = monitor();
    let checks = 0;
    let firstHeld!: () => void;
    const held = new Promise<void>((resolve) => (firstHeld = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    alerts.pauseAfterOverdueFound = async () => {
      if (++checks > 1) return;
      firstHeld();
      await released;
    };
    try {
      await alerts.start();
      vi.advanceTimersByTime(policy.checkEveryMs);
      await held;
      vi.advanceTimersByTime(5 * policy.checkEveryMs); // five ticks while the first check runs
      release();
      await alerts.check(); // queued behind whatever the ticks queued
      expect(checks).toBe(2);
    } finally {
      await alerts.stop();
      vi.useRealTimers();
    }
  });

  it("stops between cameras when stopped mid-check, and the next check raises the alerts it left, once each", async () => {
    // A county's check (1,500 cameras offline after a power cut) took 9-13 s of writes on PostgreSQL, and the
    // gateway's stop waited for all of it: past its 8 s deadline. The check has a database of its own here.
    const county = await createTestDatabase();
    const countyDb = createDatabase(county.url, { pgSchema: county.pgSchema });
    try {
      const now = new Date();
      const cameras = 150;
      await countyDb.household.create({
        data: { id: "hh_county", village: "测试村", elderName: "王奶奶", contactPhone: "13900000001" },
      });
      await countyDb.device.createMany({
        data: Array.from({ length: cameras }, (_, i) => ({
          id: `dev_county_${i}`,
          serial: `WX-COUNTY-${i}`,
          claimCodeHash: "unused",
          householdId: "hh_county",
          claimState: "claimed",
          connection: "offline",
          connectionSince: new Date(now.getTime() - 10 * MINUTE),
        })),
      });
      const { alerts, hub } = monitor(countyDb);
      const firstRaised = new Promise<void>((resolve) => {
        const stopListening = hub.events.on("publish", (message) => {
          if (message.type !== "alert.raised") return;
          stopListening();
          resolve();
        });
      });
      const checking = alerts.check(now);
      await firstRaised;
      const stopStarted = performance.now();
      await alerts.stop();
      const stopMs = performance.now() - stopStarted;
      const raisedBeforeStop = await countyDb.alert.count({ where: { resolvedAt: null } });
      await checking;
      // Stopped between two cameras: one alert (or a few) raised, not the whole round waited for.
      expect(raisedBeforeStop).toBeGreaterThan(0);
      expect(raisedBeforeStop, "stop() waited for the whole check").toBeLessThan(cameras);
      expect(stopMs).toBeLessThan(1000);
      // The next leader's check (here the same monitor, as after leadership came back) raises the rest.
      await alerts.check(new Date(now.getTime() + MINUTE));
      const open = await countyDb.alert.groupBy({ by: ["deviceId"], where: { resolvedAt: null }, _count: true });
      expect(open).toHaveLength(cameras);
      expect(open.every((row) => row._count === 1)).toBe(true);
    } finally {
      await countyDb.$disconnect();
      await county.drop();
    }
  });
});
