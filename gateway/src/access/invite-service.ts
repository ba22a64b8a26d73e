// Invites: how a migrant worker's account comes to see their parents' household. Those who can see the
// household create a short code; a family account accepts it, or a new worker registers with it. Codes are
// short enough to read aloud, so wrong ones count as guesses, slowed per address (and per account when signed in).
import type { z } from "zod";
import { hashSecret, hashToken, randomId, randomReadableCode } from "../../../core/secrets.ts";
import type { Database } from "../../../core/database.ts";
import { DomainError, notFoundError, retryLater } from "../../../protocol/errors.ts";
import type { createInviteBody, inviteView, registerBody } from "../../../protocol/invites.ts";
import { assertCanSeeHousehold, isHouseholdMember } from "./access.ts";
import type { GuessLimiter } from "./attempt-limiter.ts";
import type { AuditLog } from "./audit.ts";
import { assertStrongPassword } from "./signed-in.ts";
import { InviteStore, inviteGone } from "./invite-store.ts";
import type { Sessions, SignedInUser } from "./sessions.ts";

/** Who is trying a code: the address it came from, and the account when signed in (a Fastify request is one). */
export interface CodeAsker {
  user: { id: string } | null;
  ip: string;
}

type InviteRow = Awaited<ReturnType<InviteStore["create"]>>;

const formatCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

function toInviteView(i: InviteRow): z.infer<typeof inviteView> {
  return {
    id: i.id,
    householdId: i.householdId,
    relation: i.relation,
    maxUses: i.maxUses,
    uses: i.uses,
    createdBy: i.createdBy,
    createdAt: i.createdAt.toISOString(),
    expiresAt: i.expiresAt.toISOString(),
    revokedAt: i.revokedAt?.toISOString() ?? null,
  };
}

/** The live invite for a code, or a typed error (unknown codes count as guesses, reserved before the lookup). */
export function usableInviteFinder(db: Database, guesses: GuessLimiter) {
  const store = new InviteStore(db);
  return async function findUsable(asker: CodeAsker, code: string) {
    const attempt = await guesses.reserve(asker.user ? `user:${asker.user.id}` : "anonymous", asker.ip);
    if (!attempt.ok) throw retryLater(attempt.retryAfterS, "too many wrong invite codes");
    const invite = await store.byCodeHash(hashToken(code));
    if (!invite) throw new DomainError("invite-not-found");
    attempt.succeeded();
    if (invite.revokedAt || invite.expiresAt <= new Date() || invite.uses >= invite.maxUses) throw inviteGone();
    return invite;
  };
}

export interface InviteServiceOptions {
  db: Database;
  audit: AuditLog;
  /** Where a new account's first session is opened (its lifetime is the family's). */
  sessions: Sessions;
  /** Where wrong codes are counted. */
  guesses: GuessLimiter;
}

export class InviteService {
  readonly #o: InviteServiceOptions;
  readonly #store: InviteStore;
  readonly #findUsable: ReturnType<typeof usableInviteFinder>;

  constructor(options: InviteServiceOptions) {
    this.#o = options;
    this.#store = new InviteStore(options.db);
    this.#findUsable = usableInviteFinder(options.db, options.guesses);
  }

  /** A new code for the household; the code itself is shown this once (only its hash is kept). */
  async create(actor: SignedInUser, householdId: string, request: z.infer<typeof createInviteBody>) {
    await assertCanSeeHousehold(this.#o.db, actor, householdId);
    const code = randomReadableCode(8);
    const invite = await this.#store.create({
      id: randomId("inv_"),
      codeHash: hashToken(code),
      householdId,
      relation: request.relation ?? null,
      maxUses: request.maxUses,
      createdBy: actor.username,
      expiresAt: new Date(Date.now() + request.expiresInH * 3_600_000),
    });
    await this.#o.audit(actor.id, "invite.create", householdId, { inviteId: invite.id, maxUses: invite.maxUses });
    return { ...toInviteView(invite), code: formatCode(code), link: `/join/${formatCode(code)}` };
  }

  /** Invites of the household that can still be used, newest first. */
  async usable(actor: SignedInUser, householdId: string) {
    await assertCanSeeHousehold(this.#o.db, actor, householdId);
    const rows = await this.#store.current(householdId);
    return rows.filter((i) => i.uses < i.maxUses).map(toInviteView);
  }

  async withdraw(actor: SignedInUser, householdId: string, inviteId: string): Promise<void> {
    await assertCanSeeHousehold(this.#o.db, actor, householdId);
    if (!(await this.#store.withdraw(householdId, inviteId))) throw notFoundError("invite");
    await this.#o.audit(actor.id, "invite.withdraw", householdId, { inviteId });
  }

  /** Whose home a code is for (the join page shows it before anyone signs in). */
  async preview(asker: CodeAsker, code: string) {
    const invite = await this.#findUsable(asker, code);
    return {
      householdId: invite.householdId,
      village: invite.household.village,
      elderName: invite.household.elderName,
      relation: invite.relation,
      expiresAt: invite.expiresAt.toISOString(),
    };
  }

  /** A family account joins the household; joining twice uses the code once. */
  async accept(user: SignedInUser, asker: CodeAsker, code: string, relation: string | undefined) {
    const invite = await this.#findUsable(asker, code);
    const alreadyMember = await isHouseholdMember(this.#o.db, user.id, invite.householdId);
    if (!alreadyMember) {
      await this.#store.join(invite.id, {
        householdId: invite.householdId,
        userId: user.id,
        relation: relation ?? invite.relation,
      });
      await this.#o.audit(user.id, "invite.accept", invite.householdId, { inviteId: invite.id });
    }
    return {
      householdId: invite.householdId,
      village: invite.household.village,
      elderName: invite.household.elderName,
      alreadyMember,
    };
  }

  /** A new worker's family account, made with a code: it joins the household and is signed in (`client`). */
  async register(asker: CodeAsker, body: z.infer<typeof registerBody>, client: string | undefined) {
    assertStrongPassword(body.password, "family");
    const invite = await this.#findUsable(asker, body.inviteCode);
    if (await this.#store.usernameTaken(body.username)) throw new DomainError("username-taken");
    const passwordHash = await hashSecret(body.password);
    const userId = randomId("usr_");
    const user = { id: userId, username: body.username, displayName: body.displayName, passwordHash };
    const membership = { householdId: invite.householdId, userId, relation: body.relation ?? invite.relation };
    let session: { token: string; expiresAt: Date };
    try {
      session = await this.#store.register(invite.id, user, membership, (tx) =>
        this.#o.sessions.open({ id: userId, role: "family" }, client, tx),
      );
    } catch (error) {
      // Two people racing for one username: the unique index decides, and the invite use is rolled back.
      if ((error as { code?: string }).code === "P2002") throw new DomainError("username-taken");
      throw error;
    }
    await this.#o.audit(userId, "user.register", invite.householdId, { inviteId: invite.id });
    return {
      token: session.token,
      expiresAt: session.expiresAt.toISOString(),
      householdId: invite.householdId,
      user: { id: userId, username: body.username, displayName: body.displayName, role: "family" as const },
    };
  }
}
