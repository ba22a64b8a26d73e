// Staff manage accounts: create installer and staff accounts, disable one (its sessions, live sockets and
// live views end at once) or enable it again, assign installers to villages or households, and help someone who
// cannot get in or lost a phone: see where they are signed in, sign them out everywhere, set a new password.
// The rules are the account service's (account-service.ts); these routes check the input and the caller.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Database } from "../../../core/database.ts";
import {
  accountListQuery,
  accountView,
  assignmentBody,
  assignmentParams,
  assignmentView,
  createAccountBody,
  endedSessionsReply,
  sessionListReply,
  setPasswordBody,
  userIdParams,
} from "../../../protocol/accounts.ts";
import { errorReply } from "../../../protocol/http.ts";
import type { LiveSessions } from "../events/live-sessions.ts";
import { AccountService } from "./account-service.ts";
import { AccountStore } from "./account-store.ts";
import type { AuditLog } from "./audit.ts";
import { requireRole, sessionViewOf, signedIn } from "./signed-in.ts";
import type { Sessions } from "./sessions.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply };

export interface AccountsPluginOptions {
  db: Database;
  audit: AuditLog;
  /** Where sessions end: on every gateway, live sockets included. */
  sessions: Sessions;
  /** Live sockets re-read what their user may see (an installer's assignments changed). */
  liveSessions: LiveSessions;
  /** Ends all of a person's live views now (absent without the relay). */
  cutViewer(userId: string): Promise<void>;
}

const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;
const staffOnly = requireRole("staff");

export async function accountsPlugin(app: FastifyInstance, options: AccountsPluginOptions): Promise<void> {
  const { db, ...rest } = options;
  const accounts = new AccountService({ store: new AccountStore(db), ...rest });
  const r = zodRoutes(app);
  registerAccountRoutes(r, accounts);
  registerAccountSwitches(r, accounts);
  registerAssignmentRoutes(r, accounts);
  registerSessionHelp(r, accounts);
}

function registerAccountRoutes(r: ZodRoutes, accounts: AccountService): void {
  r.get(
    "/users",
    {
      schema: {
        tags: ["accounts"],
        summary: "Accounts (staff)",
        querystring: accountListQuery,
        response: { 200: z.object({ items: z.array(accountView) }), ...errors },
      },
      preHandler: staffOnly,
    },
    async (request) => ({ items: await accounts.list(request.query.role) }),
  );

  r.post(
    "/users",
    {
      schema: {
        tags: ["accounts"],
        summary: "Create an installer or staff account (staff)",
        body: createAccountBody,
        response: { 201: accountView, ...errors },
      },
      preHandler: staffOnly,
    },
    async (request, reply) => reply.status(201).send(await accounts.create(signedIn(request), request.body)),
  );
}

/** Disabling ends the account's sessions, live sockets and live views at once; enabling only lets it sign in. */
function registerAccountSwitches(r: ZodRoutes, accounts: AccountService): void {
  r.post(
    "/users/:userId/disable",
    {
      schema: {
        tags: ["accounts"],
        summary: "Disable an account: it cannot sign in, and its sessions, live sockets and live views end now (staff)",
        params: userIdParams,
        response: { 200: accountView, ...errors },
      },
      preHandler: staffOnly,
    },
    async (request) => accounts.disable(signedIn(request), request.params.userId),
  );

  r.post(
    "/users/:userId/enable",
    {
      schema: {
        tags: ["accounts"],
        summary: "Let a disabled account sign in again (staff)",
        params: userIdParams,
        response: { 200: accountView, ...errors },
      },
      preHandler: staffOnly,
    },
    async (request) => accounts.enable(signedIn(request), request.params.userId),
  );
}

function registerAssignmentRoutes(r: ZodRoutes, accounts: AccountService): void {
  r.get(
    "/users/:userId/assignments",
    {
      schema: {
        tags: ["accounts"],
        summary: "Villages and households an installer works in (staff)",
        params: userIdParams,
        response: { 200: z.object({ items: z.array(assignmentView) }), ...errors },
      },
      preHandler: staffOnly,
    },
    async (request) => ({ items: await accounts.assignmentsOf(request.params.userId) }),
  );

  r.post(
    "/users/:userId/assignments",
    {
      schema: {
        tags: ["accounts"],
        summary: "Assign an installer a village or a household (staff)",
        params: userIdParams,
        body: assignmentBody,
        response: { 201: assignmentView, ...errors },
      },
      preHandler: staffOnly,
    },
    async (request, reply) =>
      reply.status(201).send(await accounts.assign(signedIn(request), request.params.userId, request.body)),
  );

  r.delete(
    "/users/:userId/assignments/:assignmentId",
    {
      schema: {
        tags: ["accounts"],
        summary: "Take an assignment away from an installer (staff)",
        params: assignmentParams,
        response: { 204: z.null(), ...errors },
      },
      preHandler: staffOnly,
    },
    async (request, reply) => {
      await accounts.unassign(signedIn(request), request.params.userId, request.params.assignmentId);
      return reply.status(204).send(null);
    },
  );
}

/** Staff help a person who lost a phone or a password: where they are signed in, out everywhere, a new password. */
function registerSessionHelp(r: ZodRoutes, accounts: AccountService): void {
  r.get(
    "/users/:userId/sessions",
    {
      schema: {
        tags: ["accounts"],
        summary: "The phones and browsers an account is signed in on (staff)",
        params: userIdParams,
        response: { 200: sessionListReply, ...errors },
      },
      preHandler: staffOnly,
    },
    async (request) => {
      const listed = await accounts.sessionsOf(request.params.userId);
      return { items: listed.map((s) => sessionViewOf(s, signedIn(request).sessionId)) };
    },
  );

  r.post(
    "/users/:userId/sign-out",
    {
      schema: {
        tags: ["accounts"],
        summary: "Sign an account out everywhere, at once on every gateway (a lost phone; staff)",
        params: userIdParams,
        response: { 200: endedSessionsReply, ...errors },
      },
      preHandler: staffOnly,
    },
    async (request) => ({ ended: await accounts.signOutEverywhere(signedIn(request), request.params.userId) }),
  );

  r.post(
    "/users/:userId/password",
    {
      schema: {
        tags: ["accounts"],
        summary: "Set a new password for someone who cannot get in; their sessions end (staff, not one's own)",
        params: userIdParams,
        body: setPasswordBody,
        response: { 204: z.null(), ...errors },
      },
      preHandler: staffOnly,
    },
    async (request, reply) => {
      await accounts.setPassword(signedIn(request), request.params.userId, request.body.newPassword);
      return reply.status(204).send(null);
    },
  );
}
