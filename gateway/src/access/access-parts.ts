// Access as the composition root builds it: the sign-in sessions (whose endings close live sockets) and the
// routes of who may do what: the session check, sign-in, households and members, accounts, invites, phone sign-in.
import type { SqlReader } from "../../../core/sql-reader.ts";
import type { FastifyInstance } from "fastify";
import type { Database } from "../../../core/database.ts";
import type { GatewayConfig } from "../config.ts";
import type { LiveSessions } from "../events/live-sessions.ts";
import { accountsPlugin } from "./account-routes.ts";
import type { GuessLimiterFactory } from "./attempt-limiter.ts";
import type { AuditLog } from "./audit.ts";
import { authPlugin, sessionCheckPlugin } from "./auth-routes.ts";
import { householdsPlugin } from "./household-routes.ts";
import { invitesPlugin } from "./invite-routes.ts";
import { phoneAuthPlugin } from "./phone-auth.ts";
import type { PhoneCodes } from "./phone-codes.ts";
import { Sessions } from "./sessions.ts";

/** Every ending of a session, here or (in a cluster) on another gateway, closes its live sockets at once. */
export function sessionsClosingSockets(db: Database, liveSessions: LiveSessions, config: GatewayConfig): Sessions {
  const sessions = new Sessions(db, {
    workS: config.SESSION_TTL_S,
    familyIdleS: config.FAMILY_SESSION_IDLE_DAYS * 86_400,
  });
  sessions.onEnded(({ scope, reason }) => {
    if ("sessionId" in scope) liveSessions.closeSession(scope.sessionId, reason);
    else liveSessions.closeUser(scope.userId, reason, scope.exceptSessionId);
  });
  return sessions;
}

/** Reads the bearer token of every request in this scope into `request.user` (the routes' role checks use it). */
export async function checkSessions(api: FastifyInstance, sessions: Sessions): Promise<void> {
  await api.register(sessionCheckPlugin, { sessions });
}

export interface AccessRoutesOptions {
  db: Database;
  /** The driver's reads: a family member's households (household-store.ts). */
  reads: SqlReader;
  audit: AuditLog;
  sessions: Sessions;
  liveSessions: LiveSessions;
  phoneCodes: PhoneCodes;
  guessLimiters: GuessLimiterFactory;
  /** Ends a person's live views (of one household's cameras, or all), wherever they are carried. */
  cutViewer(userId: string, scope: { householdId?: string; reason: string }): Promise<void>;
}

/** Who may do what: sign-in, households and their members, accounts, invites. */
export async function registerAccessRoutes(
  api: FastifyInstance,
  config: GatewayConfig,
  { db, reads, audit, sessions, liveSessions, phoneCodes, guessLimiters, cutViewer }: AccessRoutesOptions,
): Promise<void> {
  await api.register(authPlugin, {
    db,
    loginFailuresPer15Min: config.LOGIN_FAILURES_PER_15_MIN,
    sessions,
    audit,
    guessLimiters,
  });
  await api.register(householdsPlugin, {
    db,
    reads,
    audit,
    liveSessions,
    cutViewer: (userId, householdId) => cutViewer(userId, { householdId, reason: "membership-ended" }),
  });
  await api.register(accountsPlugin, {
    db,
    audit,
    sessions,
    liveSessions,
    cutViewer: (userId) => cutViewer(userId, { reason: "account-disabled" }),
  });
  // Invite codes are guessed at through two doors (sign-up by password, by phone): one count for both.
  const inviteGuesses = onePerKind(guessLimiters);
  const claimFailuresPer15Min = config.CLAIM_FAILURES_PER_15_MIN;
  await api.register(invitesPlugin, { db, audit, claimFailuresPer15Min, sessions, guessLimiters: inviteGuesses });
  await api.register(phoneAuthPlugin, {
    db,
    audit,
    codes: phoneCodes,
    sessions,
    claimFailuresPer15Min,
    guessLimiters: inviteGuesses,
  });
}

/** A factory that hands out the same limiter each time for a kind (a local limiter counts only its own). */
function onePerKind(factory: GuessLimiterFactory): GuessLimiterFactory {
  const made = new Map<string, ReturnType<GuessLimiterFactory>>();
  return (kind, freeFailures) => {
    const key = `${kind}:${freeFailures}`;
    if (!made.has(key)) made.set(key, factory(kind, freeFailures));
    return made.get(key)!;
  };
}
