// The reads every still and view of a camera makes, on the driver, against the same reads through Prisma on one
// seeded database (SQLite, or PostgreSQL with TEST_DATABASE_URL): who is a member of the camera's household
// (device-access.ts), and the household's call window (call-windows.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../core/database.ts";
import type { SqlReader } from "../core/sql-reader.ts";
import { prismaDeviceAccess, readDeviceAccess } from "../gateway/src/access/device-access.ts";
import { prismaCallWindow, readCallWindow } from "../gateway/src/calls/call-windows.ts";
import { openDriverAndPrisma } from "./helpers/test-database.ts";

let close: (() => Promise<void>) | undefined;
let db: Database;
let reads: SqlReader;

const setAt = new Date(Date.UTC(2026, 11, 1, 22, 5, 0, 456));

async function seed(): Promise<void> {
  await db.user.createMany({
    data: ["usr_a", "usr_b", "usr_staff"].map((id) => ({
      id,
      username: id,
      displayName: id,
      passwordHash: "x",
      role: id === "usr_staff" ? "staff" : "family",
    })),
  });
  await db.household.createMany({
    data: [
      { id: "hh_1", village: "青龙村", elderName: "王奶奶", contactPhone: "+8613800000001" },
      {
        ...{ id: "hh_2", village: "白马村", elderName: "李爷爷", contactPhone: "+8613800000002" },
        ...{ callWindowStartMin: 22 * 60, callWindowEndMin: 7 * 60, timeZone: "Asia/Shanghai" },
        ...{ callWindowSetBy: "李明", callWindowSetAt: setAt },
      },
    ],
  });
  await db.householdMember.createMany({
    data: [
      { householdId: "hh_1", userId: "usr_a" },
      { householdId: "hh_2", userId: "usr_b" },
    ],
  });
  await db.device.createMany({
    data: [
      { id: "cam_1", serial: "WX1", claimCodeHash: "x", householdId: "hh_1" },
      { id: "cam_2", serial: "WX2", claimCodeHash: "x", householdId: "hh_2" },
      { id: "cam_3", serial: "WX3", claimCodeHash: "x" }, // not bound to any home
    ],
  });
}

beforeAll(async () => {
  ({ db, reads, close } = await openDriverAndPrisma());
  await seed();
}, 60_000);

afterAll(() => close?.());

describe("who may reach a camera, on the driver", () => {
  const cases = ["cam_1", "cam_2", "cam_3", "cam_missing"].flatMap((deviceId) =>
    ["usr_a", "usr_b", "usr_staff"].map((userId) => [deviceId, userId] as const),
  );

  it("reads what Prisma reads, for every camera and person", async () => {
    for (const [deviceId, userId] of cases)
      expect(await readDeviceAccess(reads, deviceId, userId), `${deviceId} ${userId}`).toEqual(
        await prismaDeviceAccess(db, deviceId, userId),
      );
  });

  it("finds members of the camera's own household only", async () => {
    expect(await readDeviceAccess(reads, "cam_1", "usr_a")).toEqual({ householdId: "hh_1", member: true });
    expect(await readDeviceAccess(reads, "cam_1", "usr_b")).toEqual({ householdId: "hh_1", member: false });
    expect(await readDeviceAccess(reads, "cam_3", "usr_a")).toEqual({ householdId: null, member: false });
    expect(await readDeviceAccess(reads, "cam_missing", "usr_a")).toBeNull();
  });

  it("sees a membership the moment Prisma has written or removed it", async () => {
    await db.householdMember.create({ data: { householdId: "hh_2", userId: "usr_a" } });
    expect(await readDeviceAccess(reads, "cam_2", "usr_a")).toEqual({ householdId: "hh_2", member: true });
    await db.householdMember.delete({ where: { householdId_userId: { householdId: "hh_2", userId: "usr_a" } } });
    expect(await readDeviceAccess(reads, "cam_2", "usr_a")).toEqual({ householdId: "hh_2", member: false });
  });
});

describe("a household's call window, on the driver", () => {
  it("reads what Prisma reads: a window set, none set, no such household", async () => {
    for (const householdId of ["hh_1", "hh_2", "hh_missing"])
      expect(await readCallWindow(reads, householdId), householdId).toEqual(await prismaCallWindow(db, householdId));
    expect(await readCallWindow(reads, "hh_2")).toEqual({
      ...{ callWindowStartMin: 1320, callWindowEndMin: 420, timeZone: "Asia/Shanghai" },
      ...{ callWindowSetBy: "李明", callWindowSetAt: setAt },
    });
    expect(await readCallWindow(reads, "hh_1")).toMatchObject({ callWindowStartMin: null, callWindowSetAt: null });
  });
});
