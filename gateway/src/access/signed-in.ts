// Who is asking, as every route sees it: the signed-in user the session check put on the request
// (auth-routes.ts), the role checks routes declare, and the account rules that several routes share.
import type { FastifyRequest } from "fastify";
import type { SessionSummary, SignedInUser } from "./sessions.ts";
import { DomainError } from "../../../protocol/errors.ts";
import { MIN_PASSWORD_LENGTH, weakPasswordReason } from "../../../protocol/password-rules.ts";
import type { Role } from "../../../protocol/http.ts";

export type { SignedInUser } from "./sessions.ts";

declare module "fastify" {
  interface FastifyRequest {
    user: SignedInUser | null;
  }
}

/** preHandler: 401 unless signed in, 403 unless the role is one of `roles`. */
export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest) => {
    if (!request.user) throw new DomainError("unauthorized");
    if (roles.length > 0 && !roles.includes(request.user.role))
      throw new DomainError("forbidden", { message: `this needs the ${roles.join(" or ")} role` });
  };
}

export function signedIn(request: FastifyRequest): SignedInUser {
  if (!request.user) throw new DomainError("unauthorized");
  return request.user;
}

/** The browser or app that signs in, as it names itself: the account screen tells phones apart by it. */
export const clientOf = (request: FastifyRequest): string | undefined => request.headers["user-agent"];

/** Refuses a password anyone could guess (protocol/password-rules.ts); staff and installers need twelve characters. */
export function assertStrongPassword(password: string, role: string): void {
  const reason = weakPasswordReason(
    password,
    role === "family" ? MIN_PASSWORD_LENGTH.family : MIN_PASSWORD_LENGTH.work,
  );
  if (reason) throw new DomainError("weak-password", { details: { reason } });
}

/** A sign-in session as the account screens list it. */
export function sessionViewOf(s: SessionSummary, currentSessionId: string | null) {
  return {
    id: s.id,
    client: s.client,
    createdAt: s.createdAt.toISOString(),
    lastUsedAt: s.lastUsedAt?.toISOString() ?? null,
    expiresAt: s.expiresAt.toISOString(),
    current: s.id === currentSessionId,
  };
}
