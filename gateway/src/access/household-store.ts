// Where households and their members are kept: the Prisma calls of the household service, and a family member's
// own list read on the database driver (core/sql-reader.ts): the first request of the family home screen, one
// statement (membership, households and their camera counts) instead of Prisma's two queries and its per-household
// count; its Prisma version is what it is tested against (test/household-store.test.ts).
import type { Database, Prisma } from "../../../core/database.ts";
import { sqlCount, sqlDate, type SqlReader } from "../../../core/sql-reader.ts";
import type { householdBody } from "../../../protocol/http.ts";
import type { z } from "zod";
import type { HouseholdRow } from "../http/views.ts";

const withCount = { _count: { select: { devices: true } } } as const;

export type NewHousehold = Omit<z.infer<typeof householdBody>, "requestId">;

/** Which households a list shows: a village, a search, and what the asker may see (absent: all). */
export interface HouseholdFilter {
  village?: string | undefined;
  q?: string | undefined;
  /** Only these households (a family member's own). */
  ids?: string[];
  /** Only households matching this too (an installer's villages and households). */
  within?: Prisma.HouseholdWhereInput;
}

function whereOf({ village, q, ids, within }: HouseholdFilter): Prisma.HouseholdWhereInput {
  const where: Prisma.HouseholdWhereInput = {};
  if (village) where.village = village;
  if (q) where.OR = [{ elderName: { contains: q } }, { village: { contains: q } }, { contactPhone: { contains: q } }];
  if (ids) where.id = { in: ids };
  if (within) where.AND = [within];
  return where;
}

export class HouseholdStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  byId(id: string) {
    return this.#db.household.findUnique({ where: { id }, include: withCount });
  }

  create(id: string, household: NewHousehold) {
    return this.#db.household.create({ data: { id, ...household }, include: withCount });
  }

  async assignInstaller(assignmentId: string, installerId: string, householdId: string): Promise<void> {
    await this.#db.installerAssignment.create({
      data: { id: assignmentId, installerId, householdId, createdBy: installerId },
    });
  }

  /** One page of the filtered households, by village and then age, and a way to count them all. */
  async page(filter: HouseholdFilter, offset: number, limit: number) {
    const where = whereOf(filter);
    const rows = await this.#db.household.findMany({
      where,
      orderBy: [{ village: "asc" }, { createdAt: "asc" }],
      skip: offset,
      take: limit,
      include: withCount,
    });
    return { rows, count: () => this.#db.household.count({ where }) };
  }

  withMembers(id: string) {
    return this.#db.household.findUniqueOrThrow({
      where: { id },
      include: { ...withCount, members: { include: { user: true } } },
    });
  }

  userByUsername(username: string) {
    return this.#db.user.findUnique({ where: { username } });
  }

  async setMember(householdId: string, userId: string, relation: string | null): Promise<void> {
    await this.#db.householdMember.upsert({
      where: { householdId_userId: { householdId, userId } },
      create: { householdId, userId, relation },
      update: { relation },
    });
  }

  /** Whether the person was a member to remove. */
  async removeMember(householdId: string, userId: string): Promise<boolean> {
    const removed = await this.#db.householdMember.deleteMany({ where: { householdId, userId } });
    return removed.count > 0;
  }
}

export interface MemberHouseholdsRequest {
  memberId: string;
  village?: string;
  offset: number;
  limit: number;
}

type HouseholdSqlRow = Omit<HouseholdRow, "_count" | "createdAt"> & { createdAt: unknown; devices: unknown };

const memberHouseholdsFrom = `FROM "Household" h
  JOIN "HouseholdMember" m ON m."householdId" = h."id" AND m."userId" = ?`;

export async function readMemberHouseholds(
  reads: SqlReader,
  { memberId, village, offset, limit }: MemberHouseholdsRequest,
): Promise<HouseholdRow[]> {
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
): Promise<HouseholdRow[]> {
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
