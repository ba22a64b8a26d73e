// Invites: how a migrant worker's account comes to see their parents' household. Installers, staff and
// existing members create a short code; a family account accepts it, or a new worker registers with it.
// The rules are the invite service's (invite-service.ts); these routes check the input and the caller.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Database } from "../../../core/database.ts";
import { errorReply, householdIdParams } from "../../../protocol/http.ts";
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
import { localGuessLimiters, type GuessLimiterFactory } from "./attempt-limiter.ts";
import type { AuditLog } from "./audit.ts";
import { clientOf, requireRole, signedIn } from "./signed-in.ts";
import { InviteService } from "./invite-service.ts";
import type { Sessions } from "./sessions.ts";

const errors = {
  400: errorReply,
  401: errorReply,
  403: errorReply,
  404: errorReply,
  409: errorReply,
  410: errorReply,
  429: errorReply,
};

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
  const { db, audit, sessions } = deps;
  const guesses = (deps.guessLimiters ?? localGuessLimiters)("invite", deps.claimFailuresPer15Min);
  const invites = new InviteService({ db, audit, sessions, guesses });
  const r = zodRoutes(app);
  registerHouseholdInvites(r, invites);
  registerInviteCodes(r, invites);
  registerSignUpWithInvite(r, invites);
}

/** A household's invites: created, listed and withdrawn by those who can see the household. */
function registerHouseholdInvites(r: ZodRoutes, invites: InviteService): void {
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
    async (request, reply) =>
      reply.status(201).send(await invites.create(signedIn(request), request.params.householdId, request.body)),
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
    async (request) => ({ items: await invites.usable(signedIn(request), request.params.householdId) }),
  );

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
      await invites.withdraw(signedIn(request), request.params.householdId, request.params.inviteId);
      return reply.status(204).send(null);
    },
  );
}

/** What an invite code does: shows whose home it is for, or adds a family account to the household. */
function registerInviteCodes(r: ZodRoutes, invites: InviteService): void {
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
    async (request) => invites.preview(request, request.params.code),
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
    async (request) => invites.accept(signedIn(request), request, request.body.code, request.body.relation),
  );
}

/** A new worker's account, created with an invite code: it joins the household and is signed in. */
function registerSignUpWithInvite(r: ZodRoutes, invites: InviteService): void {
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
    async (request, reply) => reply.status(201).send(await invites.register(request, request.body, clientOf(request))),
  );
}
