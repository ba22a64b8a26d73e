// Wellbeing check-ins over simulated weeks: households' days (firmware-sim/src/routine.ts) are played through
// the real service and database on a clock the test moves, with the family and the village contact listening on
// the real live socket. One stack for the file; each scenario has its own households and switches them off after.
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom, simulateDay, type Routine } from "../firmware-sim/src/routine.ts";
import { createDatabase, type Database } from "../core/database.ts";
import { instantOf } from "../gateway/src/wellbeing/local-time.ts";
import { WellbeingNotifier } from "../gateway/src/wellbeing/wellbeing-notify.ts";
import { WellbeingService } from "../gateway/src/wellbeing/wellbeing-service.ts";
import { deviceActivityTopic } from "../protocol/topics.ts";
import {
  connectAsDevice,
  installDemoCamera,
  liveSocket,
  startStack,
  waitFor,
  type Stack,
  type TestJson,
} from "./helpers/stack.ts";
import {
  createHousehold,
  dayAfter,
  playDay,
  seedHistory,
  TestClock,
  TIME_ZONE,
  type SimHousehold,
} from "./helpers/wellbeing-days.ts";
import { messagingEnv, startLoopbackProvider, type LoopbackProvider } from "./helpers/loopback-provider.ts";
import { createTestDatabase } from "./helpers/test-database.ts";

const clock = new TestClock();
let loopback: LoopbackProvider;
let stack: Stack;
let familyToken: string;
let familyId: string;
let contactToken: string;
const contactLive: TestJson[] = [];
const sockets: WebSocket[] = [];
const VILLAGE = "杨柳村";
const FAMILY_PHONE = "+8613800000001";
const CONTACT_PHONE = "+8613700000002";

/** An early riser who is never out for long: her weeks are the "normal week". */
const steady: Routine = {
  wakeMin: 6 * 60,
  bedMin: 21 * 60,
  wakeSdMin: 15,
  napsAfterLunch: true,
  outingChance: 0.4,
  longOutingChance: 0,
  presence: 0.5,
};

async function openLive(token: string, into: TestJson[]): Promise<void> {
  const socket = liveSocket(stack, token);
  socket.on("message", (data) => into.push(JSON.parse(String(data))));
  sockets.push(socket);
  await waitFor("live hello", () => into.some((m) => m.type === "hello"));
}

beforeAll(async () => {
  loopback = await startLoopbackProvider();
  stack = await startStack(
    { WELLBEING_CHECK_INTERVAL_S: "3600", ...messagingEnv(loopback, "tencent") },
    { wellbeingClock: clock.now },
  );
  for (const [username, phone] of [
    ["family", FAMILY_PHONE],
    ["installer", CONTACT_PHONE],
  ] as const)
    await stack.db.user.update({ where: { username }, data: { phone, phoneVerifiedAt: new Date() } });
  familyToken = await stack.login("family");
  contactToken = await stack.login("installer");
  familyId = (await stack.db.user.findUniqueOrThrow({ where: { username: "family" } })).id;
  const installerId = (await stack.db.user.findUniqueOrThrow({ where: { username: "installer" } })).id;
  const staff = await stack.login("staff");
  const named = await stack.api("POST", "/api/v1/wellbeing/contacts", {
    token: staff,
    body: { village: VILLAGE, userId: installerId },
  });
  expect(named.status).toBe(201);
  await openLive(contactToken, contactLive);
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await stack?.stop();
  await loopback?.stop();
});

async function householdPhone(h: SimHousehold): Promise<string> {
  return (await stack.db.household.findUniqueOrThrow({ where: { id: h.householdId } })).contactPhone;
}

/** The SMS sent to one number so far, as template id and values. */
const textsTo = (phone: string) =>
  loopback.messages.filter((m) => m.phone === phone).map((m) => [m.templateId, ...m.params].join(" "));

async function household(elderName: string): Promise<SimHousehold> {
  return createHousehold(stack.db, { village: VILLAGE, elderName, memberIds: [familyId] });
}

/** Days of one routine, seeded: the same test always plays the same days. */
function daysOf(routine: Routine, seed: number) {
  const random = seededRandom(seed);
  return (options: Parameters<typeof simulateDay>[2] = {}) => simulateDay(routine, random, options);
}

async function checksOf(h: SimHousehold) {
  return stack.db.wellbeingCheck.findMany({ where: { householdId: h.householdId }, orderBy: { raisedAt: "asc" } });
}

/** The scenario is over: its households take no part in the next one's passes. */
async function retire(...households: SimHousehold[]) {
  const ids = households.map((h) => h.householdId);
  await stack.db.wellbeingProfile.updateMany({ where: { householdId: { in: ids } }, data: { enabled: false } });
  await stack.db.wellbeingCheck.updateMany({
    where: { householdId: { in: ids }, state: { not: "closed" } },
    data: { state: "closed", closedReason: "all-well" },
  });
}

async function today(h: SimHousehold, token = familyToken) {
  const res = await stack.api("GET", `/api/v1/households/${h.householdId}/wellbeing`, { token });
  expect(res.status).toBe(200);
  return res.body;
}

/** Two weeks of the routine before the days the test is about (what the learning reads). */
async function history(h: SimHousehold, day: ReturnType<typeof daysOf>, first: string, days = 14) {
  await seedHistory(
    stack.db,
    h,
    first,
    Array.from({ length: days }, () => day()),
  );
}

/** The usual start the household has learned as of that day's first minute. */
async function usualStartMin(h: SimHousehold, date: string): Promise<number> {
  clock.set(instantOf(date, 0, TIME_ZONE));
  const [hh, mm] = (await today(h)).usualStart.split(":").map(Number);
  return hh * 60 + mm;
}

/** Where the exact moment does not matter: reports (and passes) every 30 minutes, half the work. */
const HALF_HOURLY = { reportEveryMin: 30 };

const minutesBetween = (a: string | Date, b: string | Date) => (new Date(a).getTime() - new Date(b).getTime()) / 60_000;

describe("wellbeing check-ins", () => {
  it("a new household uses the defaults, learns its day within a week, and a normal week asks nothing", async () => {
    const h = await household("王秀英");
    const day = daysOf(steady, 11);
    const first = "2026-11-02";
    await playDay(stack.gateway.wellbeing, clock, first, [{ household: h, levels: day() }], { untilMin: 5 * 60 });
    const early = await today(h);
    expect(early).toMatchObject({ learnedFromDays: 0, usualStart: "08:00", camera: "reporting" });
    await playDay(stack.gateway.wellbeing, clock, first, [{ household: h, levels: day() }], { fromMin: 5 * 60 });
    for (let i = 1; i < 7; i++)
      await playDay(stack.gateway.wellbeing, clock, dayAfter(first, i), [{ household: h, levels: day() }], HALF_HOURLY);
    await playDay(stack.gateway.wellbeing, clock, dayAfter(first, 7), [{ household: h, levels: day() }], {
      untilMin: 12 * 60,
    });
    expect(await checksOf(h)).toEqual([]);
    const learned = await today(h);
    expect(learned.learnedFromDays).toBeGreaterThanOrEqual(5);
    const [hh, mm] = learned.usualStart.split(":").map(Number);
    expect(Math.abs(hh * 60 + mm - steady.wakeMin)).toBeLessThan(45);
    expect(learned.summary).toMatch(/^今天上午有活动，最近一次在 1[01]:\d\d。$/);
    await retire(h);
  }, 120_000);

  it("a morning without movement asks the family once, when the day should have started; unanswered, the village contact", async () => {
    const h = await household("李桂兰");
    const familyLive: TestJson[] = []; // a socket opened after joining (a socket learns its households when it opens)
    await openLive(familyToken, familyLive);
    const day = daysOf(steady, 21);
    await history(h, day, "2026-11-10");
    const date = "2026-11-24";
    const still = day({ noMovement: true });
    const familyBefore = familyLive.length;
    const familyTexts = textsTo(FAMILY_PHONE).length;
    const dueMin = (await usualStartMin(h, date)) + 120;
    await playDay(stack.gateway.wellbeing, clock, date, [{ household: h, levels: still }], { untilMin: dueMin + 15 });
    const [check, ...more] = await checksOf(h);
    expect(more).toEqual([]);
    expect(check).toMatchObject({ kind: "day-not-started", state: "open" });
    const strip = await today(h);
    expect(check!.dueAt).toEqual(instantOf(date, dueMin, TIME_ZONE));
    expect(minutesBetween(check!.raisedAt, check!.dueAt)).toBeGreaterThanOrEqual(0);
    expect(minutesBetween(check!.raisedAt, check!.dueAt)).toBeLessThanOrEqual(15);
    expect(strip.check.title).toBe("李桂兰家今天还没有看到活动");
    const told = await waitFor("the family told", () =>
      familyLive.slice(familyBefore).find((m) => m.type === "wellbeing.check" && m.check.id === check!.id),
    );
    expect(told.notice.body).toContain("请打个电话问问");
    // Most family phones get no Web Push: the question also goes by SMS, once.
    await waitFor("the family texted", () => textsTo(FAMILY_PHONE).includes("SMS_WELLBEING 李桂兰"));

    // Nobody answers: still only the family at 29 minutes, the village contact at 30.
    const raisedAt = check!.raisedAt.getTime();
    await stack.gateway.wellbeing.evaluate(new Date(raisedAt + 29 * 60_000));
    expect((await checksOf(h))[0]!.state).toBe("open");
    await stack.gateway.wellbeing.evaluate(new Date(raisedAt + 30 * 60_000));
    const escalated = (await checksOf(h))[0]!;
    expect(escalated).toMatchObject({ state: "escalated", escalationReason: "no-answer" });
    const toContact = await waitFor("the village contact told", () =>
      contactLive.find(
        (m) => m.type === "wellbeing.check" && m.check.id === check!.id && m.check.state === "escalated",
      ),
    );
    expect(toContact.notice.title).toBe(`请去看看${VILLAGE}李桂兰家`);
    const visit = `SMS_VISIT ${VILLAGE} 李桂兰 ${await householdPhone(h)}`;
    await waitFor("the village contact texted", () => textsTo(CONTACT_PHONE).includes(visit));

    // The contact's list shows it by village; the contact answers with one press.
    const list = await stack.api("GET", "/api/v1/wellbeing/checks", { token: contactToken });
    expect(list.body.items.map((c: TestJson) => c.id)).toContain(check!.id);
    const answered = await stack.api("POST", `/api/v1/wellbeing/checks/${check!.id}/answer`, {
      token: contactToken,
      body: { answer: "all-well" },
    });
    expect(answered.body).toMatchObject({ state: "closed", closedReason: "all-well" });
    expect(answered.body.acks).toEqual([
      { byName: "安装员 李师傅", role: "village-contact", answer: "all-well", at: expect.any(String) },
    ]);
    // The rest of the day asks nothing more.
    clock.set(new Date(raisedAt + 31 * 60_000));
    await playDay(stack.gateway.wellbeing, clock, date, [{ household: h, levels: still }], { fromMin: dueMin + 45 });
    expect(await checksOf(h)).toHaveLength(1);
    // One text each: the escalation's word to the family and the answer travel in the app only.
    expect(textsTo(FAMILY_PHONE).slice(familyTexts)).toEqual(["SMS_WELLBEING 李桂兰"]);
    expect(textsTo(CONTACT_PHONE).filter((t) => t.includes("李桂兰"))).toEqual([visit]);
    await retire(h);
  }, 120_000);

  it("one press: all-well closes; cannot-reach tells the village contact at once", async () => {
    const h = await household("张玉珍");
    const day = daysOf(steady, 31);
    await history(h, day, "2026-11-10");
    let dueMin = (await usualStartMin(h, "2026-11-24")) + 120;
    await playDay(stack.gateway.wellbeing, clock, "2026-11-24", [{ household: h, levels: day({ noMovement: true }) }], {
      untilMin: dueMin + 15,
    });
    const [first] = await checksOf(h);
    const cannotReach = await stack.api("POST", `/api/v1/wellbeing/checks/${first!.id}/answer`, {
      token: familyToken,
      body: { answer: "cannot-reach" },
    });
    expect(cannotReach.body).toMatchObject({ state: "escalated", escalationReason: "cannot-reach" });
    expect(cannotReach.body.acks[0]).toMatchObject({
      byName: "杨兴焦 (在外务工)",
      role: "family",
      answer: "cannot-reach",
    });
    await waitFor("the contact told at once", () =>
      contactLive.find((m) => m.type === "wellbeing.check" && m.check.id === first!.id),
    );
    // Movement answers it by itself: everyone who was told hears so.
    await playDay(stack.gateway.wellbeing, clock, "2026-11-24", [{ household: h, levels: day() }], {
      fromMin: dueMin + 15,
      untilMin: 1440,
    });
    expect((await checksOf(h))[0]).toMatchObject({ state: "closed", closedReason: "activity-seen" });

    dueMin = (await usualStartMin(h, "2026-11-25")) + 120;
    await playDay(stack.gateway.wellbeing, clock, "2026-11-25", [{ household: h, levels: day({ noMovement: true }) }], {
      untilMin: dueMin + 15,
    });
    const second = (await checksOf(h))[1]!;
    const allWell = await stack.api("POST", `/api/v1/wellbeing/checks/${second.id}/answer`, {
      token: familyToken,
      body: { answer: "all-well" },
    });
    expect(allWell.body).toMatchObject({ state: "closed", closedReason: "all-well" });
    const again = await stack.api("POST", `/api/v1/wellbeing/checks/${second.id}/answer`, {
      token: familyToken,
      body: { answer: "cannot-reach" },
    });
    expect(again).toMatchObject({ status: 409, body: { error: "wellbeing-check-closed" } });
    // Answered: an hour later nobody else is asked.
    await stack.gateway.wellbeing.evaluate(new Date(second.raisedAt.getTime() + 60 * 60_000));
    expect((await checksOf(h))[1]!.escalatedAt).toBeNull();
    const stranger = await stack.login("staff");
    expect((await today(h, stranger)).check).toMatchObject({ id: second.id, state: "closed" });
    await retire(h);
  }, 120_000);

  it("away mode and an offline camera ask nothing; the strip says why", async () => {
    const away = await household("赵德明");
    const offline = await household("孙翠花");
    const dayA = daysOf(steady, 41);
    const dayB = daysOf(steady, 42);
    await history(away, dayA, "2026-11-10");
    await history(offline, dayB, "2026-11-10");
    clock.set(instantOf("2026-11-24", 0, TIME_ZONE));
    const until = instantOf("2026-11-27", 12 * 60, TIME_ZONE).toISOString();
    const set = await stack.api("PUT", `/api/v1/households/${away.householdId}/wellbeing/settings`, {
      token: familyToken,
      body: { enabled: true, startMarginMin: 120, quietHours: 4, awayUntil: until, activityInPrivacy: false },
    });
    expect(set.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const date = dayAfter("2026-11-24", i);
      await playDay(
        stack.gateway.wellbeing,
        clock,
        date,
        [
          { household: away, levels: dayA({ away: true }) },
          // Power cut from 02:00 to 14:00, nobody moving in what was reported either side of it.
          { household: offline, levels: dayB({ noMovement: true }), options: { offline: [120, 14 * 60] } },
        ],
        { ...HALF_HOURLY, untilMin: i === 0 ? 12 * 60 : 1440 },
      );
      if (i === 0) {
        expect((await today(away)).summary).toBe("已设为外出，11 月 27 日 12:00前不提醒。");
        const strip = await today(offline);
        expect(strip).toMatchObject({ camera: "offline", summary: "摄像头离线，现在看不到活动情况（不是没有活动）。" });
        expect(strip.quarters.slice(8, 48)).toMatch(/^\.+$/);
        await playDay(
          stack.gateway.wellbeing,
          clock,
          date,
          [
            { household: away, levels: dayA({ away: true }) },
            { household: offline, levels: dayB(), options: { offline: [0, 14 * 60] } },
          ],
          { ...HALF_HOURLY, fromMin: 12 * 60 },
        );
      }
    }
    expect(await checksOf(away)).toEqual([]);
    expect(await checksOf(offline)).toEqual([]);
    await retire(away, offline);
  }, 120_000);

  it("a daytime stretch without movement asks once, N hours after the last movement", async () => {
    const h = await household("周大爷");
    const day = daysOf(steady, 51);
    await history(h, day, "2026-11-10");
    const date = "2026-11-24";
    const levels = day({ stillFromMin: 10 * 60 });
    await playDay(stack.gateway.wellbeing, clock, date, [{ household: h, levels }], { untilMin: 16 * 60 });
    const checks = await checksOf(h);
    expect(checks.map((c) => c.kind)).toEqual(["quiet-daytime"]);
    const last = checks[0]!.lastActivityAt!;
    expect(last.getTime()).toBeLessThan(instantOf(date, 10 * 60, TIME_ZONE).getTime());
    expect(minutesBetween(checks[0]!.dueAt, last)).toBe(4 * 60 + 1);
    expect(minutesBetween(checks[0]!.raisedAt, checks[0]!.dueAt)).toBeLessThanOrEqual(15);
    expect(checks[0]!.title).toBe("周大爷家已经 4 小时没有看到活动");
    await retire(h);
  }, 120_000);

  it("a changed routine: asked on its first late mornings, then learned", async () => {
    const h = await household("吴老太");
    const day = daysOf(steady, 61);
    await history(h, day, "2026-11-10");
    const raisedOn: string[] = [];
    for (let i = 0; i < 10; i++) {
      const date = dayAfter("2026-11-24", i);
      await playDay(
        stack.gateway.wellbeing,
        clock,
        date,
        [{ household: h, levels: day({ wakeShiftMin: 210 }) }],
        HALF_HOURLY,
      );
      raisedOn.push(...(await checksOf(h)).filter((c) => c.key === date).map(() => date));
    }
    expect(raisedOn.length).toBeGreaterThan(0);
    expect(raisedOn.length).toBeLessThanOrEqual(6);
    expect(raisedOn.every((d) => d < "2026-12-01")).toBe(true); // the last days ask nothing
    const strip = await today(h);
    const [hh] = strip.usualStart.split(":").map(Number);
    expect(hh).toBeGreaterThanOrEqual(9);
    await retire(h);
  }, 180_000);

  it("cameras report over MQTT; minutes in privacy mode are kept only with the household's consent", async () => {
    const camera = await installDemoCamera(stack);
    const client = await connectAsDevice(stack, camera.deviceId, camera.password);
    const commands: TestJson[] = [];
    client.on("message", (_topic, payload) => commands.push(JSON.parse(String(payload))));
    await client.subscribeAsync(`devices/${camera.deviceId}/cmd`, { qos: 1 });
    await waitFor("camera online", () =>
      stack.db.device.findFirst({ where: { id: camera.deviceId, connection: "online" } }),
    );
    const from = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 20 * 60_000);
    clock.set(new Date());
    const send = (privacy: boolean, at: Date) =>
      client.publishAsync(
        deviceActivityTopic(camera.deviceId),
        JSON.stringify({ from: at.toISOString(), levels: [0, 40, 80, 3, 0], privacy }),
        { qos: 1 },
      );
    const reported = async () =>
      (await stack.db.activityHour.findMany({ where: { deviceId: camera.deviceId } }))
        .map((r) => r.minutes)
        .join("")
        .replace(/\./g, "");
    await send(false, from);
    expect(await waitFor("the report stored", async () => (await reported()).length === 5 && reported())).toBe("04800");
    await send(true, new Date(from.getTime() + 5 * 60_000)); // private, no consent: dropped
    await send(false, new Date(from.getTime() - 30 * 3_600_000)); // 30 h old: refused
    // The household consents: the camera is told at once, and private minutes are kept from then on.
    const settings = { enabled: true, startMarginMin: 120, quietHours: 4, awayUntil: null, activityInPrivacy: true };
    const consent = await stack.api("PUT", `/api/v1/households/${stack.seed.householdId}/wellbeing/settings`, {
      token: familyToken,
      body: settings,
    });
    expect(consent.body).toMatchObject({ activityInPrivacy: true, activityInPrivacySetBy: "杨兴焦 (在外务工)" });
    const told = await waitFor("the camera told", () => commands.find((c) => c.name === "activity-settings"));
    expect(told.params).toEqual({ inPrivacy: true });
    await send(true, new Date(from.getTime() + 10 * 60_000));
    expect(await waitFor("private minutes kept", async () => (await reported()).length === 10 && reported())).toBe(
      "0480004800",
    );
    client.end(true);
  }, 60_000);
});

describe("the leader's pass when the gateway stops", () => {
  it("a stop mid-pass ends it between two households, and the next pass learns the rest", async () => {
    // A day's first pass learns up to 200 households' usual day: 20 s on PostgreSQL, and the gateway's stop
    // waited for all of it (past its 8 s deadline). The service alone here, on a database of its own, whose
    // client says when a household's day has been learned (its profile's last write).
    const testDb = await createTestDatabase();
    const db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
    try {
      const homes = 20;
      const ids = Array.from({ length: homes }, (_, i) => `hh_new_day_${i}`);
      const date = "2026-12-20";
      const at = instantOf(date, 3 * 60, TIME_ZONE);
      await db.household.createMany({
        data: ids.map((id, i) => ({ id, village: VILLAGE, elderName: `老人${i}`, contactPhone: "13800000000" })),
      });
      await db.wellbeingProfile.createMany({
        data: ids.map((householdId) => ({ householdId, lastReportAt: at, lastActivityAt: at })),
      });
      let oneLearned!: () => void;
      const firstLearned = new Promise<void>((resolve) => (oneLearned = resolve));
      const observed = db.$extends({
        query: {
          wellbeingProfile: {
            async update({ args, query }) {
              const updated = await query(args);
              oneLearned();
              return updated;
            },
          },
        },
      }) as unknown as Database;
      const log = { warn: () => undefined, error: () => undefined };
      const wellbeing = new WellbeingService({
        db: observed,
        notifier: new WellbeingNotifier([], log),
        log,
        policy: { escalateAfterMs: 30 * 60_000, checkEveryMs: 60_000, retentionMs: 15 * 86_400_000 },
        clock: () => at,
      });
      const learned = () => db.wellbeingProfile.count({ where: { learnedOn: date } });
      const passing = wellbeing.evaluate();
      await firstLearned;
      const stopStarted = performance.now();
      await wellbeing.stop();
      const stopMs = performance.now() - stopStarted;
      const learnedBeforeStop = await learned();
      await passing;
      expect(learnedBeforeStop).toBeGreaterThan(0);
      expect(learnedBeforeStop, "stop() waited for the whole pass").toBeLessThan(homes);
      expect(stopMs).toBeLessThan(1000);
      // Leading again (or the next leader): its pass learns the households left.
      await wellbeing.evaluate();
      expect(await learned()).toBe(homes);
    } finally {
      await db.$disconnect();
      await testDb.drop();
    }
  });
});
