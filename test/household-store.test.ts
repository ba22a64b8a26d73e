// A family member's households on the driver (household-store.ts) against the same list through Prisma, on one
// seeded database (SQLite, or PostgreSQL with TEST_DATABASE_URL): rows, camera counts and totals alike, and never a
// household the person is not a member of.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../core/database.ts";
import type { SqlReader } from "../core/sql-reader.ts";
import {
  countMemberHouseholds,
  prismaMemberHouseholds,
  readMemberHouseholds,
} from "../gateway/src/access/household-store.ts";
import { openDriverAndPrisma } from "./helpers/test-database.ts";

let close: (() => Promise<void>) | undefined;
let db: Database;
let reads: SqlReader;

const createdAt = (n: number) => new Date(Date.UTC(2026, 10, 1 + (n % 4), 8, 0, 0, 789)); // ties on purpose

async function seed(): Promise<void> {
  const villages = ["上湾村", "下河村", "上湾村", "东岭村", "上湾村", "下河村", "东岭村"];
  for (const [n, village] of villages.entries())
    await db.household.create({
      data: {
        id: `hh_${n}`,
        village,
        elderName: `老人${n}`,
        contactName: n % 2 ? null : `村医${n}`,
        contactPhone: `1390000000${n}`,
        address: n % 3 ? `${village}${n}号` : null,
        createdAt: createdAt(n),
      },
    });
  for (const id of ["user_a", "user_b", "user_c"])
    await db.user.create({ data: { id, username: id, displayName: id, passwordHash: "x", role: "family" } });
  await db.householdMember.createMany({
    data: [0, 1, 2, 3, 4, 5]
      .map((n) => ({ householdId: `hh_${n}`, userId: "user_a" }))
      .concat([{ householdId: "hh_6", userId: "user_b" }]),
  });
  await db.device.createMany({
    data: Array.from({ length: 15 }, (_, i) => ({
      id: `cam_${String(i).padStart(12, "0")}`,
      serial: `WX${i}`,
      claimCodeHash: "x",
      householdId: i < 14 ? `hh_${i % 5}` : null,
    })),
  });
}

beforeAll(async () => {
  ({ db, reads, close } = await openDriverAndPrisma());
  await seed();
}, 60_000);

afterAll(() => close?.());

describe("a family member's households on the driver", () => {
  const requests = [
    { memberId: "user_a", offset: 0, limit: 50 },
    { memberId: "user_a", offset: 0, limit: 4 },
    { memberId: "user_a", offset: 4, limit: 4 },
    { memberId: "user_a", village: "上湾村", offset: 0, limit: 50 },
    { memberId: "user_a", village: "东岭村", offset: 1, limit: 2 },
    { memberId: "user_b", offset: 0, limit: 50 },
    { memberId: "user_b", village: "上湾村", offset: 0, limit: 50 },
    { memberId: "user_c", offset: 0, limit: 50 },
  ];

  it("reads Prisma's rows, camera counts included", async () => {
    for (const request of requests)
      expect(await readMemberHouseholds(reads, request), JSON.stringify(request)).toEqual(
        await prismaMemberHouseholds(db, request),
      );
  });

  it("counts what Prisma counts", async () => {
    for (const request of requests)
      expect(await countMemberHouseholds(reads, request.memberId, request.village)).toBe(
        (await prismaMemberHouseholds(db, { ...request, offset: 0, limit: 100 })).length,
      );
  });

  it("lists only the person's own households", async () => {
    const mine = await readMemberHouseholds(reads, { memberId: "user_b", offset: 0, limit: 50 });
    expect(mine.map((h) => h.id)).toEqual(["hh_6"]);
    expect(await readMemberHouseholds(reads, { memberId: "user_c", offset: 0, limit: 50 })).toEqual([]);
    const all = await readMemberHouseholds(reads, { memberId: "user_a", offset: 0, limit: 50 });
    expect(all.map((h) => h.id).sort()).toEqual(["hh_0", "hh_1", "hh_2", "hh_3", "hh_4", "hh_5"]);
    expect(all.find((h) => h.id === "hh_0")?._count.devices).toBe(3);
  });
});
