// The auth plugins. The session check reads the bearer token of every API request into `request.user`; the
// routes sign in with username + password → a bearer token (stored hashed, revocable; its lifetime: sessions.ts)
// and manage one's own account (password, the signed-in phones and browsers, signing one or all of them out).
// What routes use to ask who is signed in lives beside it, in signed-in.ts.
import type { FastifyInstance, FastifyRequest } from "fastify";
import fastifyPlugin from "fastify-plugin";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { hashSecret, verifySecret } from "../../../core/secrets.ts";
import type { Sessions } from "./sessions.ts";
import { assertStrongPassword, clientOf, requireRole, sessionViewOf, signedIn } from "./signed-in.ts";
import {
  changePasswordBody,
  endedSessionsReply,
  sessionIdParams,
  sessionListReply,
} from "../../../protocol/accounts.ts";
import { DomainError, retryLater } from "../../../protocol/errors.ts";
import { isoTime } from "../../../protocol/device-messages.ts";
import type { AuditLog } from "./audit.ts";
import { errorReply, loginBody, loginReply, type Role } from "../../../protocol/http.ts";
import { localGuessLimiters, type GuessLimiter, type GuessLimiterFactory } from "./attempt-limiter.ts";
import type { Database } from "../../../core/database.ts";

// A fixed hash to compare against when the username is unknown, so both paths take the same time.
const DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length).trim();
  return undefined;
}

export interface AuthPluginOptions {
  db: Database;
  loginFailuresPer15Min: number;
  /** The one check of whether a session is live, and where sessions end (sessions.ts). */
  sessions: Sessions;
  audit: AuditLog;
  /** Where wrong passwords are counted: this process (default) or the cluster's Redis. */
  guessLimiters?: GuessLimiterFactory;
}

/** Reads the bearer token of every request into `request.user` (null when there is none or it is not live). */
export interface SessionCheckOptions {
  /** The one check of whether a session is live (sessions.ts). */
  sessions: Sessions;
}

// Not encapsulated: the token check must run for every route registered beside it.
export const sessionCheckPlugin = fastifyPlugin(
  async (app: FastifyInstance, { sessions }: SessionCheckOptions) => {
    app.decorateRequest("user", null);
    app.addHook("onRequest", async (request) => {
      request.user = await sessions.resolve(bearerToken(request));
    });
  },
  { name: "wangxiang-session-check" },
);

/** Sign-in and one's own account; registered beside the session check. */
export async function authPlugin(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  // One limiter for sign-in and password change: both are guesses at the same password.
  const limiter = (options.guessLimiters ?? localGuessLimiters)("login", options.loginFailuresPer15Min);
  const r = zodRoutes(app);
  registerSignInRoutes(r, options, limiter);
  registerOwnAccountRoutes(r, options, limiter);
  registerOwnSessionRoutes(r, options);
}

const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;

function registerSignInRoutes(r: ZodRoutes, { db, sessions }: AuthPluginOptions, limiter: GuessLimiter): void {
  r.post(
    "/auth/login",
    {
      schema: {
        tags: ["auth"],
        summary: "Sign in",
        body: loginBody,
        response: { 200: loginReply, 401: errorReply, 429: errorReply },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      const attempt = await limiter.reserve(`user:${username.toLowerCase()}`, request.ip);
      if (!attempt.ok) throw retryLater(attempt.retryAfterS, "too many failed sign-ins");
      const user = await db.user.findUnique({ where: { username } });
      const ok = await verifySecret(password, user?.passwordHash ?? DUMMY_HASH);
      // A disabled account answers like a wrong password: it tells a guesser nothing about the account.
      if (!user || !ok || user.disabledAt)
        throw new DomainError("unauthorized", { message: "wrong username or password" });
      attempt.succeeded();
      const { token, expiresAt } = await sessions.open(user, clientOf(request));
      return {
        token,
        expiresAt: expiresAt.toISOString(),
        user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role as Role },
      };
    },
  );

  r.post(
    "/auth/logout",
    {
      schema: { tags: ["auth"], summary: "Revoke this token", response: { 204: z.null(), 401: errorReply } },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      const { sessionId, id: userId } = signedIn(request);
      await sessions.end({ sessionId, userId }, "signed-out");
      return reply.status(204).send(null);
    },
  );
}

function registerOwnAccountRoutes(
  r: ZodRoutes,
  { db, sessions, audit }: AuthPluginOptions,
  limiter: GuessLimiter,
): void {
  r.post(
    "/auth/password",
    {
      schema: {
        tags: ["auth"],
        summary: "Change one's own password; every other session of the account is signed out",
        body: changePasswordBody,
        response: { 204: z.null(), 400: errorReply, 401: errorReply, 429: errorReply },
      },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      const me = signedIn(request);
      assertStrongPassword(request.body.newPassword, me.role);
      const attempt = await limiter.reserve(`user:${me.username.toLowerCase()}`, request.ip);
      if (!attempt.ok) throw retryLater(attempt.retryAfterS, "too many wrong passwords");
      const user = await db.user.findUniqueOrThrow({ where: { id: me.id } });
      if (!(await verifySecret(request.body.currentPassword, user.passwordHash)))
        throw new DomainError("wrong-password");
      attempt.succeeded();
      await db.user.update({
        where: { id: me.id },
        data: { passwordHash: await hashSecret(request.body.newPassword) },
      });
      await sessions.end({ userId: me.id, exceptSessionId: me.sessionId }, "password-changed");
      await audit(me.id, "user.change-password", me.id);
      return reply.status(204).send(null);
    },
  );

  r.get(
    "/auth/me",
    {
      schema: {
        tags: ["auth"],
        summary: "Who am I, and until when this session lasts (a family member's moves on with use)",
        response: { 200: loginReply.shape.user.extend({ sessionExpiresAt: isoTime.optional() }), 401: errorReply },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const { id, username, displayName, role, sessionExpiresAt } = signedIn(request);
      return { id, username, displayName, role, sessionExpiresAt: sessionExpiresAt.toISOString() };
    },
  );
}

/** The phones and browsers signed in to one's account; any one, or all the others, can be signed out. */
function registerOwnSessionRoutes(r: ZodRoutes, { sessions, audit }: AuthPluginOptions): void {
  r.get(
    "/auth/sessions",
    {
      schema: {
        tags: ["auth"],
        summary: "The phones and browsers signed in to my account",
        response: { 200: sessionListReply, 401: errorReply },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const me = signedIn(request);
      const items = await sessions.list(me.id);
      return { items: items.map((s) => sessionViewOf(s, me.sessionId)) };
    },
  );

  r.delete(
    "/auth/sessions/:sessionId",
    {
      schema: {
        tags: ["auth"],
        summary: "Sign out one of my phones or browsers (at once, on every gateway)",
        params: sessionIdParams,
        response: { 204: z.null(), 401: errorReply, 404: errorReply },
      },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      const me = signedIn(request);
      const { sessionId } = request.params;
      if (!(await sessions.list(me.id)).some((s) => s.id === sessionId)) throw new DomainError("not-found");
      await sessions.end({ sessionId, userId: me.id }, sessionId === me.sessionId ? "signed-out" : "session-revoked");
      await audit(me.id, "user.sign-out-session", me.id, { sessionId });
      return reply.status(204).send(null);
    },
  );

  r.post(
    "/auth/sessions/sign-out-others",
    {
      schema: {
        tags: ["auth"],
        summary: "Sign out every other phone and browser of my account; this one stays signed in",
        response: { 200: endedSessionsReply, 401: errorReply },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const me = signedIn(request);
      const ended = await sessions.end({ userId: me.id, exceptSessionId: me.sessionId }, "session-revoked");
      await audit(me.id, "user.sign-out-others", me.id, { ended });
      return { ended };
    },
  );
}
