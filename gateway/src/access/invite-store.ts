// Where invites are kept: the Prisma calls of the invite service, nothing else. Joining takes one use of the
// invite in the same transaction as the membership it grants, so the last use cannot be taken twice.
import type { Database } from "../../../core/database.ts";
import { DomainError } from "../../../protocol/errors.ts";

type Transaction = Parameters<Parameters<Database["$transaction"]>[0]>[0];

export const inviteGone = () => new DomainError("invite-expired");

/** Takes one use, or fails if another join took the last one meanwhile. */
export async function consumeUse(db: Pick<Database, "invite">, inviteId: string): Promise<void> {
  const taken = await db.invite.updateMany({
    where: { id: inviteId, revokedAt: null, expiresAt: { gt: new Date() }, uses: { lt: db.invite.fields.maxUses } },
    data: { uses: { increment: 1 } },
  });
  if (taken.count !== 1) throw inviteGone();
}

export interface NewInvite {
  id: string;
  codeHash: string;
  householdId: string;
  relation: string | null;
  maxUses: number;
  createdBy: string;
  expiresAt: Date;
}

export interface NewMembership {
  householdId: string;
  userId: string;
  relation: string | null;
}

export class InviteStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  create(invite: NewInvite) {
    return this.#db.invite.create({ data: invite });
  }

  /** Invites of a household neither withdrawn nor expired, newest first (some may be used up). */
  current(householdId: string) {
    return this.#db.invite.findMany({
      where: { householdId, revokedAt: null, expiresAt: { gt: new Date() } },
      orderBy: { createdAt: "desc" },
      take: 50,
    });
  }

  /** Whether the household has such an invite (withdrawn now, or before). */
  async withdraw(householdId: string, inviteId: string): Promise<boolean> {
    const withdrawn = await this.#db.invite.updateMany({
      where: { id: inviteId, householdId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (withdrawn.count > 0) return true;
    return (await this.#db.invite.findFirst({ where: { id: inviteId, householdId } })) !== null;
  }

  byCodeHash(codeHash: string) {
    return this.#db.invite.findUnique({ where: { codeHash }, include: { household: true } });
  }

  async usernameTaken(username: string): Promise<boolean> {
    return (await this.#db.user.findUnique({ where: { username }, select: { id: true } })) !== null;
  }

  /** An existing account joins the household: one use of the invite, one membership. */
  async join(inviteId: string, membership: NewMembership): Promise<void> {
    await this.#db.$transaction(async (tx) => {
      await consumeUse(tx, inviteId);
      await tx.householdMember.create({ data: membership });
    });
  }

  /**
   * A new family account that joins the household, and its first session (opened in the same transaction by
   * `openSession`): one use of the invite, or nothing at all.
   */
  register<Session>(
    inviteId: string,
    user: { id: string; username: string; displayName: string; passwordHash: string },
    membership: NewMembership,
    openSession: (tx: Transaction) => Promise<Session>,
  ): Promise<Session> {
    return this.#db.$transaction(async (tx) => {
      await consumeUse(tx, inviteId);
      await tx.user.create({ data: { ...user, role: "family" } });
      await tx.householdMember.create({ data: membership });
      return openSession(tx);
    });
  }
}
