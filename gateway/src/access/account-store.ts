// Where accounts and installers' assignments are kept: the Prisma calls of the account service, nothing else.
import type { Database } from "../../../core/database.ts";
import type { Role } from "../../../protocol/http.ts";

const assignmentHousehold = { household: { select: { village: true, elderName: true } } } as const;

export type UserRow = Awaited<ReturnType<Database["user"]["findUniqueOrThrow"]>>;
export type AssignmentRow = Awaited<ReturnType<AccountStore["assignmentsOf"]>>[number];

/** What an assignment covers: one household, or a whole village. */
export type AssignmentTarget = { householdId: string; village: null } | { householdId: null; village: string };

export class AccountStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  users(role: Role | undefined): Promise<UserRow[]> {
    return this.#db.user.findMany({ where: role ? { role } : {}, orderBy: { username: "asc" }, take: 1000 });
  }

  async usernameTaken(username: string): Promise<boolean> {
    return (await this.#db.user.findUnique({ where: { username }, select: { id: true } })) !== null;
  }

  createUser(data: { id: string; username: string; displayName: string; role: Role; passwordHash: string }) {
    return this.#db.user.create({ data });
  }

  /** The user afterwards, or null when there is no such user. */
  async setDisabled(userId: string, disabledAt: Date | null): Promise<UserRow | null> {
    const found = await this.#db.user.updateMany({ where: { id: userId }, data: { disabledAt } });
    if (found.count === 0) return null;
    return this.#db.user.findUniqueOrThrow({ where: { id: userId } });
  }

  roleOf(userId: string): Promise<{ id: string; role: string } | null> {
    return this.#db.user.findUnique({ where: { id: userId }, select: { id: true, role: true } });
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.#db.user.update({ where: { id: userId }, data: { passwordHash } });
  }

  async householdExists(householdId: string): Promise<boolean> {
    return (await this.#db.household.findUnique({ where: { id: householdId }, select: { id: true } })) !== null;
  }

  assignmentsOf(installerId: string) {
    return this.#db.installerAssignment.findMany({
      where: { installerId },
      orderBy: { createdAt: "asc" },
      include: assignmentHousehold,
    });
  }

  addAssignment(installerId: string, target: AssignmentTarget, data: { id: string; createdBy: string }) {
    return this.#db.installerAssignment.create({
      data: { ...data, installerId, ...target },
      include: assignmentHousehold,
    });
  }

  /** Whether there was such an assignment of this installer to remove. */
  async removeAssignment(installerId: string, assignmentId: string): Promise<boolean> {
    const removed = await this.#db.installerAssignment.deleteMany({ where: { id: assignmentId, installerId } });
    return removed.count > 0;
  }
}
