// A camera's newest still, read on the database driver (core/sql-reader.ts): the family home screen asks for it
// twice per camera (its facts, then its image), so it is one statement instead of Prisma's two queries (the camera,
// then its newest still since it was bound to its home). The same SQL serves SQLite and PostgreSQL; the Prisma
// version it replaces is what it is tested against (test/snapshot-reads.test.ts).
import type { Database } from "../../../core/database.ts";
import { sqlBoolean, sqlDate, type SqlReader } from "../../../core/sql-reader.ts";

export type StillRow = {
  id: string;
  deviceId: string;
  takenAt: Date;
  sizeBytes: number;
  width: number;
  height: number;
  reason: string;
  storageKey: string;
};

/** null: no such camera; `still` null: none taken since the camera was bound to its home. */
export type LatestStill = { privacy: boolean; still: StillRow | null } | null;

type LatestStillSqlRow = {
  privacy: unknown;
  id: string | null;
  takenAt: unknown;
  sizeBytes: number | null;
  width: number | null;
  height: number | null;
  reason: string | null;
  storageKey: string | null;
};

const latestStillSql = `SELECT d."privacy", s."id", s."takenAt", s."sizeBytes", s."width", s."height", s."reason", s."storageKey"
  FROM "Device" d
  LEFT JOIN "Snapshot" s ON s."id" = (
    SELECT n."id" FROM "Snapshot" n
    WHERE n."deviceId" = d."id" AND (d."boundAt" IS NULL OR n."takenAt" >= d."boundAt")
    ORDER BY n."takenAt" DESC LIMIT 1)
  WHERE d."id" = ?`;

export async function readLatestStill(reads: SqlReader, deviceId: string): Promise<LatestStill> {
  const [row] = await reads.all<LatestStillSqlRow>(latestStillSql, [deviceId]);
  if (!row) return null;
  const still =
    row.id === null
      ? null
      : {
          id: row.id,
          deviceId,
          takenAt: sqlDate(row.takenAt)!,
          sizeBytes: row.sizeBytes!,
          width: row.width!,
          height: row.height!,
          reason: row.reason!,
          storageKey: row.storageKey!,
        };
  return { privacy: sqlBoolean(row.privacy), still };
}

/** The same read through Prisma (two queries): the reference the driver's rows are tested against. */
export async function prismaLatestStill(db: Database, deviceId: string): Promise<LatestStill> {
  const device = await db.device.findUnique({ where: { id: deviceId }, select: { privacy: true, boundAt: true } });
  if (!device) return null;
  const still = await db.snapshot.findFirst({
    where: { deviceId, ...(device.boundAt ? { takenAt: { gte: device.boundAt } } : {}) },
    orderBy: { takenAt: "desc" },
  });
  return { privacy: device.privacy, still };
}
