// Which sign-in sessions are live: the one check every request, live socket and grant goes through, and the one
// place sessions end (sign-out, password change, account disabled). A session read from the database is
// remembered for SESSION_MEMORY_MS (core/session-memory.ts), so a busy member or a polling dashboard costs one
// database read every two seconds instead of one per request. Ending a session drops it from this gateway's
// memory before the answer goes out and, in a cluster, from every other gateway's (session-channel.ts: the
// ending is published over Redis and the ender waits for each gateway's acknowledgement, never longer than the
// memory lasts). A gateway that cannot hear the others (its Redis subscription is down) remembers nothing.
// How long a session lasts is decided here too: a family member's phone is a personal phone, signed in for
// FAMILY_SESSION_IDLE_DAYS of use (each use, to the hour, moves the end on); staff and installers' sessions end
// SESSION_TTL_S after sign-in, whatever they do.
import type { Database } from "../../../core/database.ts";
import { hashToken, randomId, randomToken } from "../../../core/secrets.ts";
import { SESSION_MEMORY_MS } from "../../../core/session-memory.ts";
import type { LiveCloseReason } from "../../../protocol/accounts.ts";
import type { Role } from "../../../protocol/http.ts";

export interface SignedInUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  sessionId: string;
  sessionExpiresAt: Date;
}

/** Which sessions end: one, or all of an account's (but the one that asked, when it changes its own password). */
export type SessionScope = { sessionId: string; userId: string } | { userId: string; exceptSessionId?: string };
export interface EndedSessions {
  scope: SessionScope;
  reason: LiveCloseReason;
}

/** How endings reach the other gateways of a cluster (session-channel.ts); one gateway alone has none. */
export interface SessionChannel {
  /** Resolves once every gateway that heard the ending has forgotten those sessions (or the memory has lapsed). */
  announce(ended: EndedSessions): Promise<void>;
  /** Whether this gateway hears the others' endings right now; while it does not, it remembers nothing. */
  readonly listening: boolean;
}

interface Remembered {
  user: SignedInUser;
  /** When the database read began: the memory lasts from then, so nothing ended before it survives longer. */
  readAt: number;
}

/** More than a county's staff and families signed in at once; past it the oldest memories go first. */
const MAX_REMEMBERED = 100_000;
/** A session's use is written at most this often (and a family member's end moved on with it). */
const TOUCH_EVERY_MS = 3_600_000;

export interface SessionLifetimes {
  /** Staff and installers: from sign-in, fixed. */
  workS: number;
  /** Family members: from the last use, sliding. */
  familyIdleS: number;
}
const defaultLifetimes: SessionLifetimes = { workS: 8 * 3600, familyIdleS: 30 * 86_400 };

/** What the account screens show of a session. */
export interface SessionSummary {
  id: string;
  client: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
}
type SessionStore = Pick<Database, "session">;

export class Sessions {
  readonly #db: Database;
  readonly #lifetimes: SessionLifetimes;
  readonly #byTokenHash = new Map<string, Remembered>();
  readonly #listeners = new Set<(ended: EndedSessions) => void>();
  /** Counts endings heard: a database read that overlapped one is answered but not remembered. */
  #endingsHeard = 0;
  #channel: SessionChannel | null = null;

  constructor(db: Database, lifetimes: SessionLifetimes = defaultLifetimes) {
    this.#db = db;
    this.#lifetimes = lifetimes;
  }

  /** A new session of this account (in `db`, a transaction's client if given): its bearer token and its end. */
  async open(
    user: { id: string; role: string },
    client: string | undefined,
    db: SessionStore = this.#db,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = randomToken();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.#lifetimeS(user.role) * 1000);
    await db.session.create({
      data: {
        id: randomId("ses_"),
        tokenHash: hashToken(token),
        userId: user.id,
        expiresAt,
        lastUsedAt: now,
        client: client?.slice(0, 200) ?? null,
      },
    });
    return { token, expiresAt };
  }

  /** An account's live sessions, the most recently used first. */
  async list(userId: string): Promise<SessionSummary[]> {
    return this.#db.session.findMany({
      where: { userId, revokedAt: null, expiresAt: { gt: new Date() } },
      select: { id: true, client: true, createdAt: true, lastUsedAt: true, expiresAt: true },
      orderBy: [{ lastUsedAt: "desc" }, { createdAt: "desc" }],
      take: 100,
    });
  }

  #lifetimeS(role: string): number {
    return role === "family" ? this.#lifetimes.familyIdleS : this.#lifetimes.workS;
  }

  /** Cluster mode: endings go to and come from the other gateways. */
  useChannel(channel: SessionChannel): void {
    this.#channel = channel;
    this.forgetAll();
  }

  /** The signed-in user behind a bearer token, or null if the session is unknown, ended, expired or disabled. */
  async resolve(token: string | undefined): Promise<SignedInUser | null> {
    if (!token) return null;
    const tokenHash = hashToken(token);
    const now = Date.now();
    const remembered = this.#byTokenHash.get(tokenHash);
    if (remembered && this.#stillTrusted(remembered, now)) return remembered.user;
    if (remembered) this.#byTokenHash.delete(tokenHash);
    const endingsBefore = this.#endingsHeard;
    const user = await this.#read(tokenHash);
    if (user && endingsBefore === this.#endingsHeard && this.#remembering()) this.#remember(tokenHash, user, now);
    return user;
  }

  /** Whether a session (by id) is still live: for grants made under it (viewer tokens, calls) when they are used. */
  async isLive(sessionId: string): Promise<boolean> {
    const now = Date.now();
    for (const remembered of this.#byTokenHash.values())
      if (remembered.user.sessionId === sessionId && this.#stillTrusted(remembered, now)) return true;
    const session = await this.#db.session.findUnique({
      where: { id: sessionId },
      select: { revokedAt: true, expiresAt: true, user: { select: { disabledAt: true } } },
    });
    return Boolean(session && !session.revokedAt && session.expiresAt > new Date() && !session.user.disabledAt);
  }

  /** Ends sessions in the database, then everywhere they are remembered; returns how many ended. */
  async end(scope: SessionScope, reason: LiveCloseReason): Promise<number> {
    const where =
      "sessionId" in scope
        ? { id: scope.sessionId, revokedAt: null }
        : {
            userId: scope.userId,
            revokedAt: null,
            ...(scope.exceptSessionId ? { id: { not: scope.exceptSessionId } } : {}),
          };
    const { count } = await this.#db.session.updateMany({ where, data: { revokedAt: new Date() } });
    const ended = { scope, reason };
    this.heard(ended);
    await this.#channel?.announce(ended);
    return count;
  }

  /** An ending, made here or heard from another gateway: forget those sessions and tell the subscribers. */
  heard(ended: EndedSessions): void {
    this.#endingsHeard++;
    const { scope } = ended;
    for (const [tokenHash, { user }] of this.#byTokenHash)
      if ("sessionId" in scope ? user.sessionId === scope.sessionId : endsUser(scope, user))
        this.#byTokenHash.delete(tokenHash);
    for (const listener of this.#listeners) listener(ended);
  }

  /** Told of every ending, on this gateway and (in a cluster) on the others: live sockets, views and calls end. */
  onEnded(listener: (ended: EndedSessions) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Drops every memory (the cluster channel came back: endings may have been missed meanwhile). */
  forgetAll(): void {
    this.#endingsHeard++;
    this.#byTokenHash.clear();
  }

  #remembering(): boolean {
    return !this.#channel || this.#channel.listening;
  }

  #stillTrusted(remembered: Remembered, now: number): boolean {
    return (
      now - remembered.readAt < SESSION_MEMORY_MS &&
      remembered.user.sessionExpiresAt.getTime() > now &&
      this.#remembering()
    );
  }

  #remember(tokenHash: string, user: SignedInUser, readAt: number): void {
    if (this.#byTokenHash.size >= MAX_REMEMBERED) {
      for (const [key, remembered] of this.#byTokenHash)
        if (readAt - remembered.readAt >= SESSION_MEMORY_MS) this.#byTokenHash.delete(key);
      if (this.#byTokenHash.size >= MAX_REMEMBERED) this.#byTokenHash.delete(this.#byTokenHash.keys().next().value!);
    }
    this.#byTokenHash.set(tokenHash, { user, readAt });
  }

  async #read(tokenHash: string): Promise<SignedInUser | null> {
    const session = await this.#db.session.findUnique({ where: { tokenHash }, include: { user: true } });
    if (!session || session.revokedAt || session.expiresAt <= new Date() || session.user.disabledAt) return null;
    const { user } = session;
    return {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      role: user.role as Role,
      sessionId: session.id,
      sessionExpiresAt: await this.#touch(session, user.role),
    };
  }

  /**
   * Notes the use (at most hourly) and, for a family member, moves the end to a full idle lifetime from now.
   * Only a session not ended meanwhile is moved: an ending is never undone by a use that raced it.
   */
  async #touch(session: { id: string; lastUsedAt: Date | null; expiresAt: Date }, role: string): Promise<Date> {
    const now = Date.now();
    if (session.lastUsedAt && now - session.lastUsedAt.getTime() < TOUCH_EVERY_MS) return session.expiresAt;
    const expiresAt = role === "family" ? new Date(now + this.#lifetimes.familyIdleS * 1000) : session.expiresAt;
    await this.#db.session.updateMany({
      where: { id: session.id, revokedAt: null },
      data: { lastUsedAt: new Date(now), expiresAt },
    });
    return expiresAt;
  }
}

function endsUser(scope: { userId: string; exceptSessionId?: string }, user: SignedInUser): boolean {
  return user.id === scope.userId && user.sessionId !== scope.exceptSessionId;
}
