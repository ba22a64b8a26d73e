// The device list's reads on the driver (fleet-store.ts) against the same list through Prisma, on one seeded
// database (SQLite, or PostgreSQL with TEST_DATABASE_URL): every filter, sort and page gives the same rows, column
// for column (dates, booleans, nulls, the household's village and elder), and the same counts; a family member's
// list holds only their households' cameras.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../core/database.ts";
import type { SqlReader } from "../core/sql-reader.ts";
import {
  countDevices,
  prismaDeviceList,
  readDevicePage,
  type DeviceListFilter,
  type DeviceListSort,
} from "../gateway/src/device-plane/fleet-store.ts";
import { loadDeviceDetail, readDeviceDetail } from "../gateway/src/device-plane/fleet-service.ts";
import { openDriverAndPrisma } from "./helpers/test-database.ts";

let close: (() => Promise<void>) | undefined;
let db: Database;
let reads: SqlReader;

const at = (minutesAgo: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, 0, 123) - minutesAgo * 60_000);

/** Three households in two villages, two members, 40 cameras in every state (one without a household). */
async function seed(): Promise<void> {
  const villages = ["上湾村", "下河村", "上湾村"];
  for (const [i, village] of villages.entries())
    await db.household.create({
      data: { id: `hh_${i}`, village, elderName: `老人${i}`, contactPhone: `1380000000${i}` },
    });
  for (const id of ["user_a", "user_b"])
    await db.user.create({ data: { id, username: id, displayName: id, passwordHash: "x", role: "family" } });
  await db.householdMember.createMany({
    data: [
      { householdId: "hh_0", userId: "user_a" },
      { householdId: "hh_2", userId: "user_a" },
      { householdId: "hh_1", userId: "user_b" },
    ],
  });
  const connections = ["online", "offline", "unknown"] as const;
  await db.device.createMany({
    data: Array.from({ length: 40 }, (_, i) => ({
      id: `cam_${String(i).padStart(12, "0")}`,
      serial: `WX${String((i * 7) % 40).padStart(4, "0")}`,
      claimCodeHash: "x",
      claimState: i === 39 ? "registered" : i % 13 === 5 ? "revoked" : "claimed",
      householdId: i === 39 ? null : `hh_${i % 3}`,
      label: i % 4 === 0 ? null : `堂屋${i}`,
      firmware: i % 5 === 0 ? null : "1.2.3",
      connection: connections[i % 3],
      // Ties (i % 6) and nulls, so that the tie-break and where NULLs fall are compared too.
      connectionSince: i % 3 === 2 ? null : at(i % 6),
      privacy: i % 7 === 0,
      privacyByElder: i % 14 === 0,
      privacyUntil: i % 14 === 0 ? at(-60) : null,
      lastSeenAt: i % 8 === 3 ? null : at(i % 5),
      lastHeartbeatAt: i % 2 ? at(i) : null,
      rssi: i % 3 ? -60 - i : null,
      temperatureC: i % 3 ? 30.5 + i / 10 : null,
      uptimeS: i * 100,
      freeStorageMb: i % 2 ? 512 : null,
      cameraHealth: i % 9 === 1 ? "unreachable" : null,
      cameraHealthDetail: i % 9 === 1 ? "RTSP 超时" : null,
      cameraHealthSince: i % 9 === 1 ? at(30) : null,
      talkback: i % 3 === 0 ? null : i % 3 === 1,
      callButton: i % 4 === 0 ? null : i % 4 === 1,
    })),
  });
}

/** Transitions over 40 days (some before the 30-day window, some at the same instant), alerts, gateway runs. */
async function seedHistory(): Promise<void> {
  const day = 86_400_000;
  await db.deviceStatusChange.createMany({
    data: Array.from({ length: 120 }, (_, k) => ({
      deviceId: `cam_${String(k % 6).padStart(12, "0")}`,
      state: k % 2 ? "offline" : "online",
      reason: "heartbeat",
      at: new Date(now.getTime() - Math.floor(k / 3) * day * 0.4 - (k % 3 === 2 ? 0 : (k % 3) * 3_600_000)),
    })),
  });
  await db.alert.createMany({
    data: Array.from({ length: 6 }, (_, k) => ({
      id: `alert_${k}`,
      deviceId: `cam_${String(k % 3).padStart(12, "0")}`,
      kind: "offline",
      raisedAt: at(k),
      lastNotifiedAt: at(k),
      resolvedAt: k % 2 ? at(0) : null,
    })),
  });
  const runs: [number, number, boolean][] = [
    [45, 36, true],
    [20, 12, true],
    [3, 0.01, false], // still running: only its last sign of life
  ];
  await db.gatewayRun.createMany({
    data: runs.map(([startDaysAgo, endDaysAgo, stopped], k) => ({
      id: `run_${k}`,
      startedAt: new Date(now.getTime() - startDaysAgo * day),
      lastAliveAt: new Date(now.getTime() - endDaysAgo * day),
      stoppedAt: stopped ? new Date(now.getTime() - endDaysAgo * day) : null,
    })),
  });
}

const now = new Date(Date.UTC(2026, 11, 2, 9, 30, 0, 250));

beforeAll(async () => {
  ({ db, reads, close } = await openDriverAndPrisma());
  await seed();
  await seedHistory();
}, 60_000);

afterAll(() => close?.());

const filters: Record<string, DeviceListFilter> = {
  all: {},
  village: { village: "上湾村" },
  offline: { connection: "offline" },
  "village and online": { village: "下河村", connection: "online" },
  household: { householdId: "hh_1" },
  claimed: { claimState: "claimed" },
  "family member of two households": { memberId: "user_a" },
  "family member, one household asked": { memberId: "user_a", householdId: "hh_2" },
  "family member, another's household asked": { memberId: "user_b", householdId: "hh_0" },
  "nobody's member": { memberId: "user_nobody" },
  "no such village": { village: "无此村" },
};
const sorts: DeviceListSort[] = ["serial", "offline-longest", "last-seen"];
const pages = [
  { offset: 0, limit: 50 },
  { offset: 0, limit: 7 },
  { offset: 7, limit: 7 },
  { offset: 35, limit: 10 },
];

describe("the device list on the driver", () => {
  it("gives Prisma's rows for every filter, sort and page", async () => {
    let compared = 0;
    for (const [name, filter] of Object.entries(filters))
      for (const sort of sorts)
        for (const paging of pages) {
          const expected = await prismaDeviceList(db, filter).page({ sort, ...paging });
          const actual = await readDevicePage(reads, { filter, sort, ...paging });
          expect(actual, `${name}, ${sort}, ${paging.offset}+${paging.limit}`).toEqual(expected);
          compared += actual.length;
        }
    expect(compared).toBeGreaterThan(500); // the comparison really saw rows
  });

  it("counts what Prisma counts", async () => {
    for (const [name, filter] of Object.entries(filters))
      expect(await countDevices(reads, filter), name).toBe(await prismaDeviceList(db, filter).count());
  });

  it("shows a family member only the cameras of their households", async () => {
    const rows = await readDevicePage(reads, { filter: { memberId: "user_a" }, sort: "serial", offset: 0, limit: 100 });
    expect(rows.length).toBe(26);
    expect(new Set(rows.map((r) => r.householdId))).toEqual(new Set(["hh_0", "hh_2"]));
    const elsewhere = { memberId: "user_b", householdId: "hh_0" };
    expect(await readDevicePage(reads, { filter: elsewhere, sort: "serial", offset: 0, limit: 100 })).toEqual([]);
    expect(await countDevices(reads, elsewhere)).toBe(0);
  });

  it("gives a camera's detail, uptime and open alerts as the Prisma version does", async () => {
    for (const n of [0, 1, 2, 3, 4, 5, 39]) {
      const id = `cam_${String(n).padStart(12, "0")}`;
      const expected = await loadDeviceDetail(db, id, now);
      expect(await readDeviceDetail(reads, id, now), id).toEqual(expected);
    }
    const detail = await readDeviceDetail(reads, "cam_000000000000", now);
    expect(detail.openAlerts).toBe(1);
    expect(detail.uptime.unknownS.d30).toBeGreaterThan(0); // the gap between the runs counts as unknown
    expect(detail.uptime.d30).not.toBeNull();
    await expect(readDeviceDetail(reads, "cam_nosuchcamera", now)).rejects.toThrow(/camera/);
  });

  it("reads booleans, dates and the household as the view needs them", async () => {
    const [row] = await readDevicePage(reads, { filter: {}, sort: "serial", offset: 0, limit: 1 });
    expect(row).toMatchObject({ serial: "WX0000", privacy: true, privacyByElder: true, talkback: null });
    expect(row!.connectionSince).toEqual(at(0));
    expect(row!.household).toEqual({ village: "上湾村", elderName: "老人0" });
  });
});
