// A camera's newest still on the driver (snapshot-reads.ts) against the same read through Prisma, on one seeded
// database (SQLite, or PostgreSQL with TEST_DATABASE_URL): stills before the camera was bound to its home are not
// its home's, privacy is reported, and a camera with no still or no row at all reads as such.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../core/database.ts";
import type { SqlReader } from "../core/sql-reader.ts";
import { prismaLatestStill, readLatestStill } from "../gateway/src/snapshots/snapshot-reads.ts";
import { openDriverAndPrisma } from "./helpers/test-database.ts";

let close: (() => Promise<void>) | undefined;
let db: Database;
let reads: SqlReader;

const at = (minutesAgo: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, 0, 456) - minutesAgo * 60_000);
const camera = (n: number) => `cam_${String(n).padStart(12, "0")}`;

async function seed(): Promise<void> {
  await db.device.createMany({
    data: [
      { id: camera(1), serial: "WX1", claimCodeHash: "x" }, // never bound: every still is its
      { id: camera(2), serial: "WX2", claimCodeHash: "x", boundAt: at(30) }, // moved: only stills since
      { id: camera(3), serial: "WX3", claimCodeHash: "x", privacy: true },
      { id: camera(4), serial: "WX4", claimCodeHash: "x" }, // no still
      { id: camera(5), serial: "WX5", claimCodeHash: "x", boundAt: at(0) }, // stills only from before
    ],
  });
  const stills = [
    [1, 90],
    [1, 10],
    [1, 50],
    [2, 60],
    [2, 20],
    [2, 25],
    [3, 5],
    [5, 15],
  ] as const;
  await db.snapshot.createMany({
    data: stills.map(([n, minutesAgo], i) => ({
      id: `snap_${i}`,
      deviceId: camera(n),
      takenAt: at(minutesAgo),
      sizeBytes: 1000 + i,
      width: 640,
      height: 480,
      storageKey: `${camera(n)}/snap_${i}.jpg`,
      reason: i % 2 ? "periodic" : "request",
    })),
  });
}

beforeAll(async () => {
  ({ db, reads, close } = await openDriverAndPrisma());
  await seed();
}, 60_000);

afterAll(() => close?.());

describe("a camera's newest still on the driver", () => {
  it("reads what Prisma reads, for every kind of camera", async () => {
    for (const n of [1, 2, 3, 4, 5, 6])
      expect(await readLatestStill(reads, camera(n)), camera(n)).toEqual(await prismaLatestStill(db, camera(n)));
  });

  it("takes the newest still since the camera was bound to its home", async () => {
    expect((await readLatestStill(reads, camera(1)))?.still?.id).toBe("snap_1");
    expect((await readLatestStill(reads, camera(2)))?.still).toMatchObject({ id: "snap_4", takenAt: at(20) });
    expect(await readLatestStill(reads, camera(3))).toMatchObject({ privacy: true, still: { id: "snap_6" } });
    expect(await readLatestStill(reads, camera(4))).toEqual({ privacy: false, still: null });
    expect(await readLatestStill(reads, camera(5))).toEqual({ privacy: false, still: null });
    expect(await readLatestStill(reads, camera(6))).toBeNull();
  });
});
