// Sign-in with username + password → a short-lived bearer token (stored hashed, revocable).
import type { FastifyInstance, FastifyRequest } from "fastify";
import fastifyPlugin from "fastify-plugin";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { hashToken, randomId, randomToken, verifySecret } from "../../../core/secrets.ts";
import { errorReply, loginBody, loginReply, type Role } from "../../../protocol/http.ts";
import { forbidden, tooManyRequests, unauthorized } from "../http/errors.ts";
import { AttemptLimiter } from "./attempt-limiter.ts";
import type { Database } from "../../../core/database.ts";

export interface SignedInUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  sessionId: string;
}

declare module "fastify" {
  interface FastifyRequest {
    user: SignedInUser | null;
  }
}

// A fixed hash to compare against when the username is unknown, so both paths take the same time.
const DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

export async function resolveToken(db: Database, token: string | undefined): Promise<SignedInUser | null> {
  if (!token) return null;
  const session = await db.session.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!session || session.revokedAt || session.expiresAt <= new Date()) return null;
  const { user } = session;
  return { id: user.id, username: user.username, displayName: user.displayName, role: user.role as Role, sessionId: session.id };
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length).trim();
  return undefined;
}

/** preHandler: 401 unless signed in, 403 unless the role is one of `roles`. */
export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest) => {
    if (!request.user) throw unauthorized();
    if (roles.length > 0 && !roles.includes(request.user.role)) throw forbidden(`this needs the ${roles.join(" or ")} role`);
  };
}

export function signedIn(request: FastifyRequest): SignedInUser {
  if (!request.user) throw unauthorized();
  return request.user;
}

export interface AuthPluginOptions {
  db: Database;
  sessionTtlS: number;
  loginFailuresPer15Min: number;
}

// Not encapsulated: the token check must run for every route registered beside it.
export const authPlugin = fastifyPlugin(registerAuth, { name: "wangxiang-auth" });

async function registerAuth(app: FastifyInstance, { db, sessionTtlS, loginFailuresPer15Min }: AuthPluginOptions): Promise<void> {
  const limiter = new AttemptLimiter(loginFailuresPer15Min, 15 * 60_000);
  app.decorateRequest("user", null);
  app.addHook("onRequest", async (request) => {
    request.user = await resolveToken(db, bearerToken(request));
  });

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post("/auth/login", {
    schema: { tags: ["auth"], summary: "Sign in", body: loginBody, response: { 200: loginReply, 401: errorReply, 429: errorReply } },
  }, async (request) => {
    const { username, password } = request.body;
    const keys = [`user:${username.toLowerCase()}`, `ip:${request.ip}`];
    const wait = Math.max(...keys.map((k) => limiter.retryAfterS(k)));
    if (wait > 0) throw tooManyRequests(`too many failed sign-ins; try again in ${wait} s`, wait);
    const user = await db.user.findUnique({ where: { username } });
    const ok = await verifySecret(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      keys.forEach((k) => limiter.fail(k));
      throw unauthorized("wrong username or password");
    }
    keys.forEach((k) => limiter.succeed(k));
    const token = randomToken();
    const expiresAt = new Date(Date.now() + sessionTtlS * 1000);
    await db.session.create({ data: { id: randomId("ses_"), tokenHash: hashToken(token), userId: user.id, expiresAt } });
    return { token, expiresAt: expiresAt.toISOString(), user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role as Role } };
  });

  r.post("/auth/logout", {
    schema: { tags: ["auth"], summary: "Revoke this token", response: { 204: z.null(), 401: errorReply } }, preHandler: requireRole(),
  }, async (request, reply) => {
    await db.session.update({ where: { id: signedIn(request).sessionId }, data: { revokedAt: new Date() } });
    return reply.status(204).send(null);
  });

  r.get("/auth/me", {
    schema: { tags: ["auth"], summary: "Who am I", response: { 200: loginReply.shape.user, 401: errorReply } }, preHandler: requireRole(),
  }, async (request) => {
    const { id, username, displayName, role } = signedIn(request);
    return { id, username, displayName, role };
  });
}
