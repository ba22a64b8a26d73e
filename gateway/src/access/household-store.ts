// A family member's households, read on the database driver (core/sql-reader.ts): the first request of the family
// home screen. One statement (membership, households and their camera counts) instead of Prisma's two queries and
// its per-household count; the Prisma version is what it is tested against (test/household-store.test.ts).
import type { Database } from "../../../core/database.ts";
import { sqlCount, sqlDate, type SqlReader } from "../../../core/sql-reader.ts";

export type HouseholdListRow = {
  id: string;
  village: string;
  elderName: string;
  contactName: string | null;
  contactPhone: string;
  address: string | null;
  createdAt: Date;
  _count: { devices: number };
};

export interface MemberHouseholdsRequest {
  memberId: string;
  village?: string;
  offset: number;
  limit: number;
}

type HouseholdSqlRow = Omit<HouseholdListRow, "_count" | "createdAt"> & { createdAt: unknown; devices: unknown };

const memberHouseholdsFrom = `FROM "Household" h
  JOIN "HouseholdMember" m ON m."householdId" = h."id" AND m."userId" = ?`;

export async function readMemberHouseholds(
  reads: SqlReader,
  { memberId, village, offset, limit }: MemberHouseholdsRequest,
): Promise<HouseholdListRow[]> {
  const rows = await reads.all<HouseholdSqlRow>(
    `SELECT h."id", h."village", h."elderName", h."contactName", h."contactPhone", h."address", h."createdAt",
       (SELECT COUNT(*) FROM "Device" d WHERE d."householdId" = h."id") AS "devices"
     ${memberHouseholdsFrom} ${village ? `WHERE h."village" = ?` : ""}
     ORDER BY h."village" ASC, h."createdAt" ASC, h."id" ASC LIMIT ? OFFSET ?`,
    [memberId, ...(village ? [village] : []), limit, offset],
  );
  return rows.map(({ devices, createdAt, ...h }) => ({
    ...h,
    createdAt: sqlDate(createdAt)!,
    _count: { devices: sqlCount(devices) },
  }));
}

export async function countMemberHouseholds(reads: SqlReader, memberId: string, village?: string): Promise<number> {
  const [row] = await reads.all<{ n: unknown }>(
    `SELECT COUNT(*) AS "n" ${memberHouseholdsFrom} ${village ? `WHERE h."village" = ?` : ""}`,
    [memberId, ...(village ? [village] : [])],
  );
  return sqlCount(row?.n ?? 0);
}

/** The same list through Prisma: the reference the driver's rows are tested against. */
export async function prismaMemberHouseholds(
  db: Database,
  { memberId, village, offset, limit }: MemberHouseholdsRequest,
): Promise<HouseholdListRow[]> {
  return db.household.findMany({
    where: { members: { some: { userId: memberId } }, ...(village ? { village } : {}) },
    orderBy: [{ village: "asc" }, { createdAt: "asc" }, { id: "asc" }],
    skip: offset,
    take: limit,
    select: {
      id: true,
      village: true,
      elderName: true,
      contactName: true,
      contactPhone: true,
      address: true,
      createdAt: true,
      _count: { select: { devices: true } },
    },
  });
}
