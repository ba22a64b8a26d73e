// Where households and their members are kept: the Prisma calls of the household service, nothing else.
import type { Database, Prisma } from "../../../core/database.ts";
import type { householdBody } from "../../../protocol/http.ts";
import type { z } from "zod";

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
