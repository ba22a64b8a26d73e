// Call windows: hours (in the household's own time zone) when looking in needs a call. Route tests on a built
// gateway with live view enabled (its grant route and the admission the relay asks before a WHEP session),
// against a real database; the relay itself is not needed to decide who may start watching.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../core/database.ts";
import { randomId } from "../core/secrets.ts";
import { buildGateway, type Gateway } from "../gateway/src/app.ts";
import { minuteOfDay, withinWindow } from "../gateway/src/calls/call-windows.ts";
import { readGatewayConfig } from "../gateway/src/config.ts";
import { seedDemoData, type DemoSeed } from "../gateway/src/seed.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";
import type { TestJson } from "./helpers/stack.ts";

const password = "window-password-1";
let testDb: TestDatabase;
let db: Database;
let gateway: Gateway;
let seed: DemoSeed;
let deviceId: string;
let family: string;
let staff: string;

async function call(
  method: string,
  url: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: TestJson }> {
  const reply = await gateway.app.inject({
    method: method as "GET",
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: reply.statusCode, body: reply.body ? JSON.parse(reply.body) : null };
}

async function login(username: string): Promise<string> {
  const reply = await call("POST", "/api/v1/auth/login", undefined, { username, password });
  return reply.body.token;
}

/** "HH:MM" in Shanghai, `offsetMin` from now. */
function shanghaiClock(offsetMin: number): string {
  const m = (((minuteOfDay(new Date(), "Asia/Shanghai") + offsetMin) % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

const windowUrl = () => `/api/v1/households/${seed.householdId}/call-window`;
const setWindow = (window: { start: string; end: string } | null, timeZone?: string) =>
  call("PUT", windowUrl(), family, { window, ...(timeZone ? { timeZone } : {}) });

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
  gateway = buildGateway(
    readGatewayConfig({ DATABASE_URL: testDb.url, LOG_LEVEL: "silent", RELAY_ENABLED: "1", SEED_DEMO_DATA: "0" }),
    { database: db, databaseSchema: testDb.pgSchema },
  );
  seed = (await seedDemoData(db, password))!;
  const box = await db.device.findFirstOrThrow({ where: { serial: seed.cameras[0]!.serial } });
  deviceId = box.id;
  await db.device.update({
    where: { id: deviceId },
    data: { householdId: seed.householdId, claimState: "claimed", claimedAt: new Date(), connection: "online" },
  });
  [family, staff] = [await login("family"), await login("staff")];
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.$disconnect();
  await testDb?.drop();
});

describe("the clock of a call window", () => {
  it("reads the household's own zone and runs past midnight", () => {
    const at = new Date("2026-11-28T15:30:00Z"); // 23:30 in Shanghai, 10:30 in New York
    expect(minuteOfDay(at, "Asia/Shanghai")).toBe(23 * 60 + 30);
    expect(minuteOfDay(at, "America/New_York")).toBe(10 * 60 + 30);
    expect(minuteOfDay(new Date("2026-11-27T16:00:00Z"), "Asia/Shanghai")).toBe(0); // midnight is 0, not 24:00
    const night = [22 * 60, 7 * 60] as const;
    expect(withinWindow(...night, 23 * 60 + 30)).toBe(true);
    expect(withinWindow(...night, 6 * 60 + 59)).toBe(true);
    expect(withinWindow(...night, 7 * 60)).toBe(false); // the end is when looking in is free again
    expect(withinWindow(...night, 12 * 60)).toBe(false);
    expect(withinWindow(12 * 60, 14 * 60, 13 * 60)).toBe(true);
    expect(withinWindow(12 * 60, 14 * 60, 11 * 60 + 59)).toBe(false);
  });
});

describe("call windows", () => {
  it("starts with none; a member sets one, recorded with who and when, and every member and staff see it", async () => {
    expect((await call("GET", windowUrl(), family)).body).toMatchObject({
      window: null,
      timeZone: "Asia/Shanghai",
      setBy: null,
      activeNow: false,
    });
    const set = await setWindow({ start: shanghaiClock(-60), end: shanghaiClock(60) });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ activeNow: true, setBy: "杨兴焦 (在外务工)", timeZone: "Asia/Shanghai" });
    expect(Date.now() - Date.parse(set.body.setAt)).toBeLessThan(60_000);
    expect((await call("GET", windowUrl(), staff)).body).toEqual(set.body);
    const audit = await db.auditEntry.findFirst({ where: { action: "household.call-window" } });
    expect(audit?.subject).toBe(seed.householdId);
  });

  it("within the window a look-in is refused with call-window, and counted", async () => {
    const refused = await call("POST", `/api/v1/devices/${deviceId}/view`, family);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: "call-window", details: { timeZone: "Asia/Shanghai" } });
    expect(refused.body.details.window.start).toMatch(/^\d\d:\d\d$/);
    const text = (await gateway.app.inject({ method: "GET", url: "/metrics" })).body;
    expect(text).toMatch(/wx_call_refusals_total\{reason="call-window"\} [1-9]/);
  });

  it("a viewer token granted before the window began cannot start a session within it", async () => {
    await setWindow({ start: shanghaiClock(60), end: shanghaiClock(120) });
    const granted = await call("POST", `/api/v1/devices/${deviceId}/view`, family);
    expect(granted.status).toBe(200);
    expect(await gateway.liveView!.admitViewer(deviceId, granted.body.token)).toBeNull();
    await setWindow({ start: shanghaiClock(-60), end: shanghaiClock(60) }); // the window has begun
    expect(await gateway.liveView!.admitViewer(deviceId, granted.body.token)).toMatchObject({
      status: 403,
      error: "call-window",
    });
  });

  it("the elder's call, answered, passes the window; so does a call home the elder answered", async () => {
    const familyUser = await db.user.findUniqueOrThrow({ where: { username: "family" } });
    const fromHome = await db.call.create({
      data: {
        id: randomId("call_", 16),
        householdId: seed.householdId,
        deviceId,
        direction: "from-home",
        state: "ringing",
        startedAt: new Date(),
      },
    });
    const answered = await call("POST", `/api/v1/calls/${fromHome.id}/answer`, family);
    expect(answered.status).toBe(200);
    expect(answered.body.grant.whepUrl).toBe(`/api/v1/whep/${deviceId}`);
    expect(await gateway.liveView!.admitViewer(deviceId, answered.body.grant.token)).toBeNull();

    const toHome = await db.call.create({
      data: {
        id: randomId("call_", 16),
        householdId: seed.householdId,
        deviceId,
        direction: "to-home",
        state: "answered",
        callerId: familyUser.id,
        callerName: familyUser.displayName,
        startedAt: new Date(),
        answeredAt: new Date(),
      },
    });
    const view = await call("POST", `/api/v1/calls/${toHome.id}/view`, family);
    expect(view.status).toBe(200);
    expect(await gateway.liveView!.admitViewer(deviceId, view.body.token)).toBeNull();
  });

  it("outside the window, in the household's zone, looking in works as always; removing the window frees it", async () => {
    // The same hours as now-in-Shanghai, but in a zone 12+ hours away: not now there.
    const elsewhere = await setWindow({ start: shanghaiClock(-60), end: shanghaiClock(60) }, "America/New_York");
    expect(elsewhere.body).toMatchObject({ activeNow: false, timeZone: "America/New_York" });
    expect((await call("POST", `/api/v1/devices/${deviceId}/view`, family)).status).toBe(200);
    await setWindow({ start: shanghaiClock(-60), end: shanghaiClock(60) });
    expect((await call("POST", `/api/v1/devices/${deviceId}/view`, family)).status).toBe(403);
    expect((await setWindow(null)).body).toMatchObject({ window: null, activeNow: false });
    expect((await call("POST", `/api/v1/devices/${deviceId}/view`, family)).status).toBe(200);
  });

  it("refuses bad hours, unknown zones and staff plainly", async () => {
    for (const body of [
      { window: { start: "25:00", end: "07:00" } },
      { window: { start: "22:00", end: "22:00" } },
      { window: { start: "22:00", end: "07:00" }, timeZone: "Mars/Olympus" },
      { window: "night" },
    ]) {
      const bad = await call("PUT", windowUrl(), family, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error).toBe("invalid-request");
    }
    const byStaff = await call("PUT", windowUrl(), staff, { window: { start: "22:00", end: "07:00" } });
    expect(byStaff.status).toBe(403);
    const elsewhere = await call("GET", `/api/v1/households/hh_doesnotexist/call-window`, family);
    expect(elsewhere.status).toBe(404);
  });

  it("is in the OpenAPI document", async () => {
    const doc = JSON.parse((await gateway.app.inject({ method: "GET", url: "/openapi.json" })).body);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/households/{householdId}/call-window",
        "/api/v1/households/{householdId}/notices",
        "/api/v1/households/{householdId}/notice-preferences",
      ]),
    );
  });
});
