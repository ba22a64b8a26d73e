// Invites: how a migrant worker's account comes to see their parents' household. Installers, staff and
// existing members create a short code; a family account accepts it, or a new worker registers with it.
import { DomainError, notFoundError, retryLater } from "../../../protocol/errors.ts";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { hashSecret, hashToken, randomId, randomReadableCode } from "../../../core/secrets.ts";
import type { Sessions } from "./sessions.ts";
import { errorReply } from "../../../protocol/http.ts";
import {
  acceptInviteBody,
  acceptInviteReply,
  createInviteBody,
  createdInviteView,
  inviteCodeParams,
  inviteParams,
  invitePreview,
  inviteView,
  registerBody,
  registerReply,
} from "../../../protocol/invites.ts";
import { householdIdParams } from "../../../protocol/http.ts";
import { assertCanSeeHousehold, isHouseholdMember } from "./access.ts";
import type { Database } from "../../../core/database.ts";
import type { AuditLog } from "./audit.ts";
import { localGuessLimiters, type GuessLimiter, type GuessLimiterFactory } from "./attempt-limiter.ts";
import { assertStrongPassword, clientOf, requireRole, signedIn } from "./signed-in.ts";

const errors = {
  400: errorReply,
  401: errorReply,
  403: errorReply,
  404: errorReply,
  409: errorReply,
  410: errorReply,
  429: errorReply,
};
type InviteRow = {
  id: string;
  householdId: string;
  relation: string | null;
  maxUses: number;
  uses: number;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
};

const inviteGone = () => new DomainError("invite-expired");
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

interface InviteDeps {
  db: Database;
  audit: AuditLog;
  claimFailuresPer15Min: number;
  /** Where a new account's first session is opened (its lifetime is the family's). */
  sessions: Sessions;
  /** Where wrong invite codes are counted: this process (default) or the cluster's Redis. */
  guessLimiters?: GuessLimiterFactory;
}
const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;

export async function invitesPlugin(app: FastifyInstance, deps: InviteDeps): Promise<void> {
  const r = zodRoutes(app);
  registerHouseholdInvites(r, deps);
  registerInviteWithdrawal(r, deps);
  // Codes are short enough to read aloud, so guessing is slowed per address (and per account when signed in).
  const guesses = (deps.guessLimiters ?? localGuessLimiters)("invite", deps.claimFailuresPer15Min);
  const findUsable = usableInviteFinder(deps.db, guesses);
  registerInviteCodes(r, deps, findUsable);
  registerSignUpWithInvite(r, deps, findUsable);
}

/** The live invite for a code, or a typed error (unknown codes count as guesses, reserved before the lookup). */
export function usableInviteFinder(db: Database, guesses: GuessLimiter) {
  return async function findUsable(request: FastifyRequest, code: string) {
    const attempt = await guesses.reserve(request.user ? `user:${request.user.id}` : "anonymous", request.ip);
    if (!attempt.ok) throw retryLater(attempt.retryAfterS, "too many wrong invite codes");
    const invite = await db.invite.findUnique({ where: { codeHash: hashToken(code) }, include: { household: true } });
    if (!invite) throw new DomainError("invite-not-found");
    attempt.succeeded();
    if (invite.revokedAt || invite.expiresAt <= new Date() || invite.uses >= invite.maxUses) throw inviteGone();
    return invite;
  };
}

/** Takes one use, or fails if another join took the last one meanwhile. */
export async function consumeUse(db: Pick<Database, "invite">, inviteId: string): Promise<void> {
  const taken = await db.invite.updateMany({
    where: { id: inviteId, revokedAt: null, expiresAt: { gt: new Date() }, uses: { lt: db.invite.fields.maxUses } },
    data: { uses: { increment: 1 } },
  });
  if (taken.count !== 1) throw inviteGone();
}

/** A household's invites: created, listed and withdrawn by those who can see the household. */
function registerHouseholdInvites(r: ZodRoutes, { db, audit }: InviteDeps): void {
  r.post(
    "/households/:householdId/invites",
    {
      schema: {
        tags: ["invites"],
        summary: "Invite family members to a household (installers, staff, or a member)",
        params: householdIdParams,
        body: createInviteBody,
        response: { 201: createdInviteView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      const user = signedIn(request);
      await assertCanSeeHousehold(db, user, request.params.householdId);
      const code = randomReadableCode(8);
      const invite = await db.invite.create({
        data: {
          id: randomId("inv_"),
          codeHash: hashToken(code),
          householdId: request.params.householdId,
          relation: request.body.relation ?? null,
          maxUses: request.body.maxUses,
          createdBy: user.username,
          expiresAt: new Date(Date.now() + request.body.expiresInH * 3_600_000),
        },
      });
      await audit(user.id, "invite.create", request.params.householdId, {
        inviteId: invite.id,
        maxUses: invite.maxUses,
      });
      return reply
        .status(201)
        .send({ ...toInviteView(invite), code: formatCode(code), link: `/join/${formatCode(code)}` });
    },
  );

  r.get(
    "/households/:householdId/invites",
    {
      schema: {
        tags: ["invites"],
        summary: "Invites of a household that can still be used, newest first",
        params: householdIdParams,
        response: { 200: z.object({ items: z.array(inviteView) }), ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      await assertCanSeeHousehold(db, signedIn(request), request.params.householdId);
      const rows = await db.invite.findMany({
        where: { householdId: request.params.householdId, revokedAt: null, expiresAt: { gt: new Date() } },
        orderBy: { createdAt: "desc" },
        take: 50,
      });
      return { items: rows.filter((i) => i.uses < i.maxUses).map(toInviteView) };
    },
  );
}

function registerInviteWithdrawal(r: ZodRoutes, { db, audit }: InviteDeps): void {
  r.delete(
    "/households/:householdId/invites/:inviteId",
    {
      schema: {
        tags: ["invites"],
        summary: "Withdraw an invite",
        params: inviteParams,
        response: { 204: z.null(), ...errors },
      },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      const user = signedIn(request);
      await assertCanSeeHousehold(db, user, request.params.householdId);
      const withdrawn = await db.invite.updateMany({
        where: { id: request.params.inviteId, householdId: request.params.householdId, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      if (
        withdrawn.count === 0 &&
        !(await db.invite.findFirst({
          where: { id: request.params.inviteId, householdId: request.params.householdId },
        }))
      )
        throw notFoundError("invite");
      await audit(user.id, "invite.withdraw", request.params.householdId, { inviteId: request.params.inviteId });
      return reply.status(204).send(null);
    },
  );
}

/** What an invite code does: shows whose home it is for, adds a family account, or registers a new one. */
function registerInviteCodes(
  r: ZodRoutes,
  { db, audit }: InviteDeps,
  findUsable: ReturnType<typeof usableInviteFinder>,
): void {
  r.get(
    "/invites/:code",
    {
      schema: {
        tags: ["invites"],
        summary: "Whose home an invite code is for (no sign-in: the join page shows it)",
        params: inviteCodeParams,
        response: { 200: invitePreview, ...errors },
      },
    },
    async (request) => {
      const invite = await findUsable(request, request.params.code);
      return {
        householdId: invite.householdId,
        village: invite.household.village,
        elderName: invite.household.elderName,
        relation: invite.relation,
        expiresAt: invite.expiresAt.toISOString(),
      };
    },
  );

  r.post(
    "/invites/accept",
    {
      schema: {
        tags: ["invites"],
        summary: "Join a household with an invite code (family accounts); joining twice uses the code once",
        body: acceptInviteBody,
        response: { 200: acceptInviteReply, ...errors },
      },
      preHandler: requireRole("family"),
    },
    async (request) => {
      const user = signedIn(request);
      const invite = await findUsable(request, request.body.code);
      const alreadyMember = await isHouseholdMember(db, user.id, invite.householdId);
      if (!alreadyMember) {
        await db.$transaction(async (tx) => {
          await consumeUse(tx, invite.id);
          await tx.householdMember.create({
            data: {
              householdId: invite.householdId,
              userId: user.id,
              relation: request.body.relation ?? invite.relation,
            },
          });
        });
        await audit(user.id, "invite.accept", invite.householdId, { inviteId: invite.id });
      }
      return {
        householdId: invite.householdId,
        village: invite.household.village,
        elderName: invite.household.elderName,
        alreadyMember,
      };
    },
  );
}

/** A new worker's account, created with an invite code: it joins the household and is signed in. */
function registerSignUpWithInvite(
  r: ZodRoutes,
  { db, audit, sessions }: InviteDeps,
  findUsable: ReturnType<typeof usableInviteFinder>,
): void {
  r.post(
    "/auth/register",
    {
      schema: {
        tags: ["auth", "invites"],
        summary: "A family member creates an account with an invite code, joins the household and is signed in",
        body: registerBody,
        response: { 201: registerReply, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      assertStrongPassword(body.password, "family");
      const invite = await findUsable(request, body.inviteCode);
      if (await db.user.findUnique({ where: { username: body.username } })) throw new DomainError("username-taken");
      const passwordHash = await hashSecret(body.password);
      const userId = randomId("usr_");
      let session: { token: string; expiresAt: Date };
      try {
        session = await db.$transaction(async (tx) => {
          await consumeUse(tx, invite.id);
          await tx.user.create({
            data: { id: userId, username: body.username, displayName: body.displayName, passwordHash, role: "family" },
          });
          await tx.householdMember.create({
            data: { householdId: invite.householdId, userId, relation: body.relation ?? invite.relation },
          });
          return sessions.open({ id: userId, role: "family" }, clientOf(request), tx);
        });
      } catch (error) {
        // Two people racing for one username: the unique index decides, and the invite use is rolled back.
        if ((error as { code?: string }).code === "P2002") throw new DomainError("username-taken");
        throw error;
      }
      await audit(userId, "user.register", invite.householdId, { inviteId: invite.id });
      return reply.status(201).send({
        token: session.token,
        expiresAt: session.expiresAt.toISOString(),
        householdId: invite.householdId,
        user: { id: userId, username: body.username, displayName: body.displayName, role: "family" as const },
      });
    },
  );
}
