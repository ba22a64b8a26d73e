// The device list's reads on the driver (fleet-store.ts) against the same list through Prisma, on one seeded
// database (SQLite, or PostgreSQL with TEST_DATABASE_URL): every filter, sort and page gives the same rows, column
// for column (dates, booleans, nulls, the household's village and elder), and the same counts; a family member's
// list holds only their households' cameras.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../core/database.ts";
import { createSqlReader, type SqlReader } from "../core/sql-reader.ts";
import {
  countDevices,
  prismaDeviceList,
  readDevicePage,
  type DeviceListFilter,
  type DeviceListSort,
} from "../gateway/src/device-plane/fleet-store.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

let testDb: TestDatabase;
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
    })),
  });
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
  reads = createSqlReader(testDb.url, { pgSchema: testDb.pgSchema });
  await seed();
}, 60_000);

afterAll(async () => {
  await reads?.close();
  await db?.$disconnect();
  await testDb?.drop();
});

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

  it("reads booleans, dates and the household as the view needs them", async () => {
    const [row] = await readDevicePage(reads, { filter: {}, sort: "serial", offset: 0, limit: 1 });
    expect(row).toMatchObject({ serial: "WX0000", privacy: true, privacyByElder: true, talkback: null });
    expect(row!.connectionSince).toEqual(at(0));
    expect(row!.household).toEqual({ village: "上湾村", elderName: "老人0" });
  });
});
