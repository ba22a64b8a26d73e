// Who may watch a camera, now: the grant a signed-in person gets (a WHEP token bound to their sign-in session,
// and to the call for a view that is part of one), its check at every use, admission against a call window and
// the per-person limit, and a recheck of every open view against what is true now.
import type { ViewerIdentity, ViewerRefusal } from "../../../relay/src/index.ts";
import type { IceServerSource } from "../../../relay/src/index.ts";
import type { Database } from "../../../core/database.ts";
import { DomainError, isDomainError, notFoundError } from "../../../protocol/errors.ts";
import { isHouseholdMember } from "../access/access.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import type { ViewerClaims, ViewTokens } from "./view-tokens.ts";

export type ViewStart = "look-in" | "call" | "answered-call";

/** Live views one person may hold open at once, over all cameras (a family has a few phones, not dozens). */
const MAX_VIEWS_PER_PERSON = 4;
/** How often open views are checked again against what is true now (sign-outs elsewhere, calls, membership). */
const RECHECK_VIEWS_MS = 15_000;

/** Why a viewer grant stopped holding: the view log's end reason for a view it had opened. */
export type GrantEnd =
  "account-disabled" | "signed-out" | "camera-gone" | "privacy-mode" | "not-a-member" | "call-ended";

/** What a viewer token grants, as the live view holds it for each open session. */
export type ViewGrant = Pick<ViewerClaims, "cam" | "uid" | "sid" | "via" | "call">;

export interface ViewGrantOptions {
  db: Database;
  tokens: ViewTokens;
  iceServers: IceServerSource;
  viewerTokenTtlMs: number;
  /** Installers may test-view a camera for this long after it was claimed (the install visit). */
  installerWindowMs: number;
  /** May a view of this household start now, started this way? Throws the refusal (a call window). */
  admitView(householdId: string, startedBy: ViewStart): Promise<void>;
  /** Ends one viewer session at the relay (the view's grant no longer holds). */
  closeSession(cameraId: string, sessionId: string, reason: GrantEnd): Promise<void>;
  log: { error(o: object, msg: string): void };
}

export class ViewGrants {
  readonly #o: ViewGrantOptions;
  /** The grant behind each viewer identity the relay holds (it hands back the object authorize made). */
  readonly #grantOf = new WeakMap<ViewerIdentity, ViewGrant>();
  /** The grant behind each open viewer session, by relay session id. */
  readonly #open = new Map<string, ViewGrant>();
  #recheckTimer: NodeJS.Timeout | null = null;

  constructor(options: ViewGrantOptions) {
    this.#o = options;
  }

  /**
   * A signed-in user asks to watch a camera: checks membership, privacy and connection, returns a WHEP token
   * bound to the user's sign-in session (and to the call, for a view that is part of one).
   */
  async grant(user: SignedInUser, deviceId: string, startedBy: ViewStart, callId: string | undefined) {
    const device = await this.#o.db.device.findUnique({
      where: { id: deviceId },
      select: { householdId: true, claimState: true, claimedAt: true, boundBy: true, privacy: true, connection: true },
    });
    if (!device || !device.householdId) throw notFoundError("camera");
    const member = await isHouseholdMember(this.#o.db, user.id, device.householdId);
    if (!member && !this.#installing(user, device)) {
      if (user.role === "family") throw notFoundError("camera");
      throw new DomainError("not-a-member");
    }
    if (device.claimState !== "claimed") throw new DomainError("camera-not-claimed");
    if (device.privacy) throw new DomainError("privacy-mode");
    if (device.connection !== "online") throw new DomainError("camera-offline");
    await this.#o.admitView(device.householdId, startedBy);
    const { token, expiresAt } = this.#o.tokens.issueViewer(
      {
        cam: deviceId,
        uid: user.id,
        name: user.displayName,
        sid: user.sessionId,
        via: startedBy,
        ...(callId ? { call: callId } : {}),
      },
      this.#o.viewerTokenTtlMs,
    );
    return {
      token,
      expiresAt: expiresAt.toISOString(),
      whepUrl: `/api/v1/whep/${deviceId}`,
      iceServers: this.#o.iceServers(`viewer-${user.id}`),
    };
  }

  /** Every use of a viewer token (join, talk, leave): the grant must still hold now. */
  async authorize(cameraId: string, token: string): Promise<ViewerIdentity | null> {
    const claims = this.#o.tokens.verifyViewer(token, cameraId);
    if (!claims || (await this.whyEnded(claims))) return null;
    const viewer: ViewerIdentity = { viewerId: claims.uid, displayName: claims.name };
    this.#grantOf.set(viewer, claims);
    return viewer;
  }

  /**
   * Why a grant no longer holds (the view log's end reason), or null when it does: the account is enabled and the
   * sign-in session live, the camera is set up, in a household and not private, the person is a member (or the
   * installer's visit), and the call it was granted for is still answered. Checked at every use and again while
   * the view is open.
   */
  async whyEnded(grant: ViewGrant): Promise<GrantEnd | null> {
    const { db } = this.#o;
    const [session, device] = await Promise.all([
      db.session.findUnique({
        where: { id: grant.sid },
        select: { userId: true, revokedAt: true, expiresAt: true, user: { select: { role: true, disabledAt: true } } },
      }),
      db.device.findUnique({
        where: { id: grant.cam },
        select: { privacy: true, claimState: true, householdId: true, claimedAt: true, boundBy: true },
      }),
    ]);
    if (session?.user.disabledAt) return "account-disabled";
    if (!session || session.userId !== grant.uid || session.revokedAt || session.expiresAt <= new Date())
      return "signed-out";
    if (!device || device.claimState !== "claimed" || !device.householdId) return "camera-gone";
    if (device.privacy) return "privacy-mode";
    const member = await isHouseholdMember(db, grant.uid, device.householdId);
    if (!member && !this.#installing({ id: grant.uid, role: session.user.role }, device)) return "not-a-member";
    if (grant.call) {
      const call = await db.call.findUnique({ where: { id: grant.call }, select: { state: true, deviceId: true } });
      if (call?.state !== "answered" || call.deviceId !== grant.cam) return "call-ended";
    }
    return null;
  }

  /** Before the relay starts a viewer session: the same admission as the grant, now (the token may be older). */
  async admit(cameraId: string, token: string): Promise<ViewerRefusal | null> {
    const claims = this.#o.tokens.verifyViewer(token, cameraId);
    const device = await this.#o.db.device.findUnique({ where: { id: cameraId }, select: { householdId: true } });
    if (!claims || !device?.householdId) return null; // authorize has already refused these
    try {
      await this.#o.admitView(device.householdId, claims.via);
      if (this.#openViewsOf(claims.uid) >= MAX_VIEWS_PER_PERSON) throw new DomainError("too-many-views");
      return null;
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return { status: error.status, error: error.code, message: error.message, details: error.details };
    }
  }

  /** A viewer session opened: its grant is held (and rechecked) while it is open. */
  opened(sessionId: string, viewer: ViewerIdentity): ViewGrant | undefined {
    const grant = this.#grantOf.get(viewer);
    if (grant) this.#open.set(sessionId, grant);
    this.#recheckTimer ??= setInterval(() => void this.recheck(), RECHECK_VIEWS_MS).unref();
    return grant;
  }

  closed(sessionId: string): void {
    this.#open.delete(sessionId);
  }

  /**
   * Checks the open views (all, or those of one person or one call) against what is true now, and ends those
   * whose grant no longer holds: a sign-out or password change here or on another gateway, an account disabled
   * from the shell, a call hung up, a member removed. Never rejects.
   */
  async recheck(which: { userId?: string; callId?: string } = {}): Promise<void> {
    const open = [...this.#open].filter(
      ([, grant]) => (!which.userId || grant.uid === which.userId) && (!which.callId || grant.call === which.callId),
    );
    await Promise.all(
      open.map(async ([sessionId, grant]) => {
        try {
          const ended = await this.whyEnded(grant);
          if (ended) await this.#o.closeSession(grant.cam, sessionId, ended);
        } catch (error) {
          this.#o.log.error({ err: error, sessionId }, "could not check an open view");
        }
      }),
    );
  }

  stop(): void {
    clearInterval(this.#recheckTimer ?? undefined);
    this.#recheckTimer = null;
    this.#open.clear();
  }

  #openViewsOf(userId: string): number {
    let open = 0;
    for (const grant of this.#open.values()) if (grant.uid === userId) open += 1;
    return open;
  }

  /** An installer may test-view a camera they bound themselves, during the install visit shortly after it was claimed. */
  #installing(user: { id: string; role: string }, device: { claimedAt: Date | null; boundBy: string | null }): boolean {
    return (
      user.role === "installer" &&
      device.boundBy === user.id &&
      device.claimedAt !== null &&
      Date.now() - device.claimedAt.getTime() < this.#o.installerWindowMs
    );
  }
}
