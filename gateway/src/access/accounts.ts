// Staff manage accounts: create installer and staff accounts, disable one (its sessions, live sockets and
// live views end at once) or enable it again, assign installers to villages or households, and help someone who
// cannot get in or lost a phone: see where they are signed in, sign them out everywhere, set a new password.
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { hashSecret, randomId } from "../../../core/secrets.ts";
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
import { errorReply, type Role } from "../../../protocol/http.ts";
import { maskPhone } from "../../../protocol/phone.ts";
import type { Database } from "../../../core/database.ts";
import type { AuditLog } from "./audit.ts";
import type { Sessions } from "./sessions.ts";
import type { LiveSessions } from "../events/live-sessions.ts";
import { assertStrongPassword, requireRole, sessionViewOf, signedIn } from "./signed-in.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply };
type UserRow = {
  id: string;
  username: string;
  displayName: string;
  role: string;
  createdAt: Date;
  disabledAt: Date | null;
  phone: string | null;
  phoneVerifiedAt: Date | null;
};
const toAccountView = (u: UserRow) => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: u.role as Role,
  createdAt: u.createdAt.toISOString(),
  disabledAt: u.disabledAt?.toISOString() ?? null,
  phone: u.phone && u.phoneVerifiedAt ? maskPhone(u.phone) : null,
});
type AssignmentRow = {
  id: string;
  installerId: string;
  village: string | null;
  householdId: string | null;
  household: { village: string; elderName: string } | null;
  createdAt: Date;
};
const toAssignmentView = (a: AssignmentRow) => ({
  id: a.id,
  installerId: a.installerId,
  village: a.village,
  householdId: a.householdId,
  householdName: a.household ? `${a.household.village} · ${a.household.elderName}` : null,
  createdAt: a.createdAt.toISOString(),
});
const assignmentHousehold = { household: { select: { village: true, elderName: true } } } as const;

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
  const r = zodRoutes(app);
  registerAccountRoutes(r, options);
  registerAccountSwitches(r, options);
  registerAssignmentRoutes(r, options);
  registerSessionHelp(r, options);
}

function registerAccountRoutes(r: ZodRoutes, { db, audit }: AccountsPluginOptions): void {
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
    async (request) => {
      const rows = await db.user.findMany({
        where: request.query.role ? { role: request.query.role } : {},
        orderBy: { username: "asc" },
        take: 1000,
      });
      return { items: rows.map(toAccountView) };
    },
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
    async (request, reply) => {
      const { username, displayName, password, role } = request.body;
      assertStrongPassword(password, role);
      if (await db.user.findUnique({ where: { username } })) throw new DomainError("username-taken");
      const user = await db.user.create({
        data: { id: randomId("usr_"), username, displayName, role, passwordHash: await hashSecret(password) },
      });
      await audit(signedIn(request).id, "user.create", user.id, { role });
      return reply.status(201).send(toAccountView(user));
    },
  );
}

/** Disabling ends the account's sessions, live sockets and live views at once; enabling only lets it sign in. */
function registerAccountSwitches(r: ZodRoutes, { db, audit, sessions, cutViewer }: AccountsPluginOptions): void {
  const setDisabled = async (userId: string, disabledAt: Date | null) => {
    const found = await db.user.updateMany({ where: { id: userId }, data: { disabledAt } });
    if (found.count === 0) throw notFoundError("user");
    return db.user.findUniqueOrThrow({ where: { id: userId } });
  };

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
    async (request) => {
      const me = signedIn(request);
      if (request.params.userId === me.id) throw new DomainError("cannot-disable-self");
      const user = await setDisabled(request.params.userId, new Date());
      await sessions.end({ userId: user.id }, "account-disabled");
      await cutViewer(user.id);
      await audit(me.id, "user.disable", user.id);
      return toAccountView(user);
    },
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
    async (request) => {
      const user = await setDisabled(request.params.userId, null);
      await audit(signedIn(request).id, "user.enable", user.id);
      return toAccountView(user);
    },
  );
}

function registerAssignmentRoutes(r: ZodRoutes, { db, audit, liveSessions }: AccountsPluginOptions): void {
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
    async (request) => {
      const rows = await db.installerAssignment.findMany({
        where: { installerId: request.params.userId },
        orderBy: { createdAt: "asc" },
        include: assignmentHousehold,
      });
      return { items: rows.map(toAssignmentView) };
    },
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
    async (request, reply) => {
      const installer = await db.user.findUnique({ where: { id: request.params.userId }, select: { role: true } });
      if (!installer) throw notFoundError("user");
      if (installer.role !== "installer") throw new DomainError("not-installer");
      const target =
        "householdId" in request.body
          ? { householdId: request.body.householdId, village: null }
          : { householdId: null, village: request.body.village };
      if (
        target.householdId &&
        !(await db.household.findUnique({ where: { id: target.householdId }, select: { id: true } }))
      )
        throw notFoundError("household");
      const created = await db.installerAssignment.create({
        data: { id: randomId("asg_"), installerId: request.params.userId, ...target, createdBy: signedIn(request).id },
        include: assignmentHousehold,
      });
      liveSessions.refreshUser(request.params.userId);
      await audit(signedIn(request).id, "installer.assign", request.params.userId, target);
      return reply.status(201).send(toAssignmentView(created));
    },
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
      const removed = await db.installerAssignment.deleteMany({
        where: { id: request.params.assignmentId, installerId: request.params.userId },
      });
      if (removed.count === 0) throw notFoundError("assignment");
      liveSessions.refreshUser(request.params.userId);
      await audit(signedIn(request).id, "installer.unassign", request.params.userId, {
        assignmentId: request.params.assignmentId,
      });
      return reply.status(204).send(null);
    },
  );
}

/** Staff help a person who lost a phone or a password: where they are signed in, out everywhere, a new password. */
function registerSessionHelp(r: ZodRoutes, { db, audit, sessions }: AccountsPluginOptions): void {
  const userOr404 = async (userId: string) => {
    const user = await db.user.findUnique({ where: { id: userId }, select: { id: true, role: true } });
    if (!user) throw new DomainError("not-found", { message: "user not found" });
    return user;
  };

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
      const user = await userOr404(request.params.userId);
      return { items: (await sessions.list(user.id)).map((s) => sessionViewOf(s, signedIn(request).sessionId)) };
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
    async (request) => {
      const user = await userOr404(request.params.userId);
      const ended = await sessions.end({ userId: user.id }, "session-revoked");
      await audit(signedIn(request).id, "user.sign-out-everywhere", user.id, { ended });
      return { ended };
    },
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
      const me = signedIn(request);
      if (request.params.userId === me.id)
        throw new DomainError("forbidden", { message: "change your own password on the account page" });
      const user = await userOr404(request.params.userId);
      assertStrongPassword(request.body.newPassword, user.role);
      await db.user.update({
        where: { id: user.id },
        data: { passwordHash: await hashSecret(request.body.newPassword) },
      });
      await sessions.end({ userId: user.id }, "password-changed");
      await audit(me.id, "user.reset-password", user.id);
      return reply.status(204).send(null);
    },
  );
}
