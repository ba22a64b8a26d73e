// Which sign-in sessions are live: the one check every request, live socket and grant goes through, and the one
// place sessions end (sign-out, password change, account disabled). A session read from the database is
// remembered for SESSION_MEMORY_MS (core/session-memory.ts), so a busy member or a polling dashboard costs one
// database read every two seconds instead of one per request. Ending a session drops it from this gateway's
// memory before the answer goes out and, in a cluster, from every other gateway's (session-channel.ts: the
// ending is published over Redis and the ender waits for each gateway's acknowledgement, never longer than the
// memory lasts). A gateway that cannot hear the others (its Redis subscription is down) remembers nothing.
import type { Database } from "../../../core/database.ts";
import { hashToken } from "../../../core/secrets.ts";
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

export class Sessions {
  readonly #db: Database;
  readonly #byTokenHash = new Map<string, Remembered>();
  readonly #listeners = new Set<(ended: EndedSessions) => void>();
  /** Counts endings heard: a database read that overlapped one is answered but not remembered. */
  #endingsHeard = 0;
  #channel: SessionChannel | null = null;

  constructor(db: Database) {
    this.#db = db;
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
      sessionExpiresAt: session.expiresAt,
    };
  }
}

function endsUser(scope: { userId: string; exceptSessionId?: string }, user: SignedInUser): boolean {
  return user.id === scope.userId && user.sessionId !== scope.exceptSessionId;
}
