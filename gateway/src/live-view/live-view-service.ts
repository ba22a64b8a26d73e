// Orchestrates live view around the relay: who may watch, starting the camera's stream over MQTT when
// the first viewer arrives and stopping it a grace period after the last leaves, telling the camera
// who watches, refusing everyone while privacy mode is on, and logging every view for the household.
import type { RelayPool } from "../../../relay/src/index.ts";
import type {
  CameraIngestReading,
  IceServerSource,
  RouterHandle,
  ViewerIdentity,
  ViewerRefusal,
} from "../../../relay/src/index.ts";
import type { Database } from "../../../core/database.ts";
import { TypedEvents, type EventSource } from "../../../core/events.ts";
import type { CommandDispatcher } from "../device-plane/command-dispatcher.ts";
import type { LiveHub } from "../events/live-hub.ts";
import { DomainError, isDomainError, notFoundError } from "../../../protocol/errors.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import { isHouseholdMember } from "../access/access.ts";
import type { ViewerClaims, ViewTokens } from "./view-tokens.ts";
import type { ServerMessage } from "../../../protocol/ws.ts";

export interface LiveViewPolicy {
  /** ICE servers for one client; TURN credentials in them are per client and short-lived. */
  iceServers: IceServerSource;
  publicHttpUrl(): string;
  viewerTokenTtlMs: number;
  stopGraceMs: number;
  startTimeoutMs: number;
  /** Installers may test-view a camera for this long after it was claimed (the install visit). */
  installerWindowMs: number;
}

interface CameraStream {
  viewers: Map<string, ViewerIdentity>; // by relay session id
  publishSessionId: string | null;
  publishNonce: string | null;
  usedNonces: Set<string>;
  starting: Promise<void> | null;
  publishedWaiters: Set<() => void>;
  stopTimer: NodeJS.Timeout | null;
  talking: string | null;
  /** When the household was last told that the relay worker carrying this camera died. */
  relayLostToldAt?: number;
}

export interface LiveViewServiceOptions {
  db: Database;
  commands: CommandDispatcher;
  hub: LiveHub;
  log: { error(o: object, msg: string): void };
  /** The relay's worker pool; it starts after the service is built (throws until then). */
  relay(): RelayPool;
  tokens: ViewTokens;
  policy: LiveViewPolicy;
  /** May a view of this household start now, started this way? Throws the refusal (a call window). */
  admitView?(householdId: string, startedBy: ViewStart): Promise<void>;
}

export type ViewStart = "look-in" | "call" | "answered-call";

export interface LiveViewEvents {
  /** This gateway stopped the camera's stream: nobody watched for the grace period, or privacy mode. */
  "stream-stopped": [cameraId: string, reason: string];
}

/** Two readings of the relay's counters for the camera's upstream, `durationS` apart (null: not publishing). */
export interface UplinkReadings {
  first: CameraIngestReading | null;
  last: CameraIngestReading | null;
}

/** Seconds the check's test stream runs past the measured window. */
const UPLINK_MARGIN_S = 3;
/** How long after the WHIP answer the first media may take to arrive (ICE, DTLS on a slow link). */
const UPLINK_FIRST_MEDIA_MS = 8_000;

/** Live views one person may hold open at once, over all cameras (a family has a few phones, not dozens). */
const MAX_VIEWS_PER_PERSON = 4;
/** How often open views are checked again against what is true now (sign-outs elsewhere, calls, membership). */
const RECHECK_VIEWS_MS = 15_000;

/** Why a viewer grant stopped holding: the view log's end reason for a view it had opened. */
type GrantEnd = "account-disabled" | "signed-out" | "camera-gone" | "privacy-mode" | "not-a-member" | "call-ended";

/** What a viewer token grants, as the live view holds it for each open session. */
type ViewGrant = Pick<ViewerClaims, "cam" | "uid" | "sid" | "via" | "call">;

export class LiveViewService {
  private readonly streams = new Map<string, CameraStream>();
  /** The grant behind each viewer identity the relay holds (it hands back the object authorizeView made). */
  readonly #grantOf = new WeakMap<ViewerIdentity, ViewGrant>();
  /** The grant behind each open viewer session, by relay session id. */
  readonly #openGrants = new Map<string, ViewGrant>();
  #recheckTimer: NodeJS.Timeout | null = null;

  private readonly db: Database;
  private readonly commands: CommandDispatcher;
  private readonly hub: LiveHub;
  private readonly log: LiveViewServiceOptions["log"];
  private readonly relay: () => RelayPool;
  private readonly tokens: ViewTokens;
  private readonly policy: LiveViewPolicy;
  private readonly admitView: NonNullable<LiveViewServiceOptions["admitView"]>;
  readonly #events: TypedEvents<LiveViewEvents>;

  constructor(options: LiveViewServiceOptions) {
    this.admitView = options.admitView ?? (() => Promise.resolve());
    this.#events = new TypedEvents<LiveViewEvents>({ log: options.log, name: "live-view" });
    ({
      db: this.db,
      commands: this.commands,
      hub: this.hub,
      log: this.log,
      relay: this.relay,
      tokens: this.tokens,
      policy: this.policy,
    } = options);
  }

  get events(): EventSource<LiveViewEvents> {
    return this.#events;
  }

  private get pool(): RelayPool {
    return this.relay();
  }

  /**
   * A signed-in user asks to watch a camera: checks membership, privacy and connection, returns a WHEP token
   * bound to the user's sign-in session (and to the call, for a view that is part of one).
   */
  async grantView(user: SignedInUser, deviceId: string, startedBy: ViewStart = "look-in", callId?: string) {
    const device = await this.db.device.findUnique({
      where: { id: deviceId },
      select: { householdId: true, claimState: true, claimedAt: true, boundBy: true, privacy: true, connection: true },
    });
    if (!device || !device.householdId) throw notFoundError("camera");
    const member = await isHouseholdMember(this.db, user.id, device.householdId);
    if (!member && !this.installing(user, device)) {
      if (user.role === "family") throw notFoundError("camera");
      throw new DomainError("not-a-member");
    }
    if (device.claimState !== "claimed") throw new DomainError("camera-not-claimed");
    if (device.privacy) throw new DomainError("privacy-mode");
    if (device.connection !== "online") throw new DomainError("camera-offline");
    await this.admitView(device.householdId, startedBy);
    const { token, expiresAt } = this.tokens.issueViewer(
      {
        cam: deviceId,
        uid: user.id,
        name: user.displayName,
        sid: user.sessionId,
        via: startedBy,
        ...(callId ? { call: callId } : {}),
      },
      this.policy.viewerTokenTtlMs,
    );
    return {
      token,
      expiresAt: expiresAt.toISOString(),
      whepUrl: `/api/v1/whep/${deviceId}`,
      iceServers: this.iceServersFor(`viewer-${user.id}`),
    };
  }

  iceServersFor(clientId: string) {
    return this.policy.iceServers(clientId);
  }

  // ── called by the relay's signaling plugin ────────────────────────────
  /** Every use of a viewer token (join, talk, leave): the grant must still hold now. */
  async authorizeView(cameraId: string, token: string): Promise<ViewerIdentity | null> {
    const claims = this.tokens.verifyViewer(token, cameraId);
    if (!claims || (await this.whyGrantEnded(claims))) return null;
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
  async whyGrantEnded(grant: ViewGrant): Promise<GrantEnd | null> {
    const [session, device] = await Promise.all([
      this.db.session.findUnique({
        where: { id: grant.sid },
        select: { userId: true, revokedAt: true, expiresAt: true, user: { select: { role: true, disabledAt: true } } },
      }),
      this.db.device.findUnique({
        where: { id: grant.cam },
        select: { privacy: true, claimState: true, householdId: true, claimedAt: true, boundBy: true },
      }),
    ]);
    if (session?.user.disabledAt) return "account-disabled";
    if (!session || session.userId !== grant.uid || session.revokedAt || session.expiresAt <= new Date())
      return "signed-out";
    if (!device || device.claimState !== "claimed" || !device.householdId) return "camera-gone";
    if (device.privacy) return "privacy-mode";
    const member = await isHouseholdMember(this.db, grant.uid, device.householdId);
    if (!member && !this.installing({ id: grant.uid, role: session.user.role }, device)) return "not-a-member";
    if (grant.call) {
      const call = await this.db.call.findUnique({
        where: { id: grant.call },
        select: { state: true, deviceId: true },
      });
      if (call?.state !== "answered" || call.deviceId !== grant.cam) return "call-ended";
    }
    return null;
  }

  /** Before the relay starts a viewer session: the same admission as the grant, now (the token may be older). */
  async admitViewer(cameraId: string, token: string): Promise<ViewerRefusal | null> {
    const claims = this.tokens.verifyViewer(token, cameraId);
    const device = await this.db.device.findUnique({ where: { id: cameraId }, select: { householdId: true } });
    if (!claims || !device?.householdId) return null; // authorizeView has already refused these
    try {
      await this.admitView(device.householdId, claims.via);
      if (this.openViewsOf(claims.uid) >= MAX_VIEWS_PER_PERSON) throw new DomainError("too-many-views");
      return null;
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return { status: error.status, error: error.code, message: error.message, details: error.details };
    }
  }

  private openViewsOf(userId: string): number {
    let open = 0;
    for (const grant of this.#openGrants.values()) if (grant.uid === userId) open += 1;
    return open;
  }

  /** An installer may test-view a camera they bound themselves, during the install visit shortly after it was claimed. */
  private installing(
    user: { id: string; role: string },
    device: { claimedAt: Date | null; boundBy: string | null },
  ): boolean {
    return (
      user.role === "installer" &&
      device.boundBy === user.id &&
      device.claimedAt !== null &&
      Date.now() - device.claimedAt.getTime() < this.policy.installerWindowMs
    );
  }

  /** A publish token starts one stream; afterwards it is only good for ending that stream. */
  async authorizePublish(cameraId: string, token: string): Promise<boolean> {
    const claims = this.tokens.verifyPublish(token, cameraId);
    if (!claims) return false;
    const stream = this.stream(cameraId);
    if (stream.publishNonce === claims.nonce) return true;
    if (stream.usedNonces.has(claims.nonce)) return false;
    stream.usedNonces.add(claims.nonce);
    stream.publishNonce = claims.nonce;
    return true;
  }

  async onViewerJoined(event: { cameraId: string; sessionId: string; viewer: ViewerIdentity }): Promise<void> {
    const grant = this.#grantOf.get(event.viewer);
    if (grant) this.#openGrants.set(event.sessionId, grant);
    this.#recheckTimer ??= setInterval(() => void this.recheckViews(), RECHECK_VIEWS_MS).unref();
    const stream = this.stream(event.cameraId);
    stream.viewers.set(event.sessionId, event.viewer);
    if (stream.stopTimer) clearTimeout(stream.stopTimer);
    stream.stopTimer = null;
    const device = await this.db.device.findUnique({ where: { id: event.cameraId }, select: { householdId: true } });
    await this.db.viewSession.create({
      data: {
        id: event.sessionId,
        deviceId: event.cameraId,
        householdId: device?.householdId ?? null,
        userId: event.viewer.viewerId,
        displayName: event.viewer.displayName,
        startedAt: new Date(),
        startedBy: grant?.via ?? "look-in",
      },
    });
    // Answer the viewer at once; its ICE and DTLS handshakes run while the camera starts up.
    void this.ensureStreaming(event.cameraId).catch((error: Error) => this.failViewers(event.cameraId, error));
    this.announce(event.cameraId);
  }

  onViewerLeft(event: { cameraId: string; sessionId: string; reason: string }): void {
    this.#openGrants.delete(event.sessionId);
    const stream = this.stream(event.cameraId);
    if (!stream.viewers.delete(event.sessionId)) return;
    // A relay worker process died (it is restarted at once): every viewer of the camera lost its session.
    // Tell the household once; viewer pages rejoin by themselves and the rejoin restarts the camera's stream.
    if (event.reason === "relay-worker-exited" && Date.now() - (stream.relayLostToldAt ?? 0) > 2000) {
      stream.relayLostToldAt = Date.now();
      this.toHousehold(event.cameraId, {
        type: "view.error",
        deviceId: event.cameraId,
        error: "relay-restarted",
        message: "the live-view relay restarted; viewers reconnect",
      });
    }
    void this.db.viewSession
      .updateMany({
        where: { id: event.sessionId, endedAt: null },
        data: { endedAt: new Date(), endReason: event.reason },
      })
      .catch((err) => this.log.error({ err }, "could not close a view-log entry"));
    if (stream.viewers.size === 0 && !stream.stopTimer) {
      stream.stopTimer = setTimeout(() => void this.stopStream(event.cameraId, "no-viewers"), this.policy.stopGraceMs);
      stream.stopTimer.unref();
    }
    this.announce(event.cameraId);
  }

  onCameraPublished(event: { cameraId: string; sessionId: string }): void {
    const stream = this.stream(event.cameraId);
    stream.publishSessionId = event.sessionId;
    for (const resolve of stream.publishedWaiters) resolve();
    stream.publishedWaiters.clear();
    this.publishViewers(event.cameraId);
  }

  onCameraUnpublished(event: { cameraId: string; sessionId: string }): void {
    const stream = this.stream(event.cameraId);
    if (stream.publishSessionId !== event.sessionId) return;
    stream.publishSessionId = null;
    stream.publishNonce = null;
    this.publishViewers(event.cameraId);
  }

  onTalkbackChanged(event: { cameraId: string; viewerId: string | null }): void {
    const stream = this.stream(event.cameraId);
    stream.talking = event.viewerId;
    if (event.viewerId) {
      const sessionIds = [...stream.viewers].filter(([, v]) => v.viewerId === event.viewerId).map(([id]) => id);
      void this.db.viewSession
        .updateMany({ where: { id: { in: sessionIds } }, data: { talked: true } })
        .catch(() => undefined);
    }
    this.publishViewers(event.cameraId);
  }

  onViewerDownlink(event: {
    cameraId: string;
    sessionId: string;
    viewer: ViewerIdentity;
    state: "video" | "audio-only";
    reason: string;
  }): void {
    this.toHousehold(event.cameraId, {
      type: "view.downlink",
      deviceId: event.cameraId,
      sessionId: event.sessionId,
      viewerId: event.viewer.viewerId,
      state: event.state,
      reason: event.reason,
    });
  }

  /** Privacy switched on (button or command): everyone watching is cut off and the stream stops now. */
  async onPrivacyEnabled(cameraId: string): Promise<void> {
    const stream = this.streams.get(cameraId);
    if (!stream) return;
    const router = this.pool.routerFor(cameraId);
    await Promise.all(
      [...stream.viewers.keys()].map((sessionId) =>
        router.closeSession(sessionId, "privacy-mode").catch(() => undefined),
      ),
    );
    await this.stopStream(cameraId, "privacy-mode");
  }

  /** The camera changed hands (moved, removed, replaced): everyone watching is cut off now. */
  async cutCamera(cameraId: string, reason: string): Promise<void> {
    const stream = this.streams.get(cameraId);
    if (!stream || stream.viewers.size === 0) return;
    const router = this.pool.routerFor(cameraId);
    await Promise.all(
      [...stream.viewers.keys()].map((sessionId) => router.closeSession(sessionId, reason).catch(() => undefined)),
    );
  }

  /** A person lost the right to watch (removed from a household, account disabled): their sessions end now. */
  async cutViewer(userId: string, scope: { householdId?: string; reason: string }): Promise<void> {
    const inHousehold = scope.householdId
      ? new Set(
          (await this.db.device.findMany({ where: { householdId: scope.householdId }, select: { id: true } })).map(
            (d) => d.id,
          ),
        )
      : null;
    const closing: Promise<unknown>[] = [];
    for (const [cameraId, stream] of this.streams) {
      if (inHousehold && !inHousehold.has(cameraId)) continue;
      const router = this.pool.routerFor(cameraId);
      for (const [sessionId, viewer] of stream.viewers) {
        if (viewer.viewerId === userId)
          closing.push(router.closeSession(sessionId, scope.reason).catch(() => undefined));
      }
    }
    await Promise.all(closing);
  }

  /**
   * Checks the open views (all, or those of one person or one call) against what is true now, and ends those
   * whose grant no longer holds: a sign-out or password change here or on another gateway, an account disabled
   * from the shell, a call hung up, a member removed. Never rejects.
   */
  async recheckViews(which: { userId?: string; callId?: string } = {}): Promise<void> {
    const open = [...this.#openGrants].filter(
      ([, grant]) => (!which.userId || grant.uid === which.userId) && (!which.callId || grant.call === which.callId),
    );
    await Promise.all(
      open.map(async ([sessionId, grant]) => {
        try {
          const ended = await this.whyGrantEnded(grant);
          if (ended) await this.pool.routerFor(grant.cam).closeSession(sessionId, ended);
        } catch (error) {
          this.log.error({ err: error, sessionId }, "could not check an open view");
        }
      }),
    );
  }

  /** Camera went offline: its viewers are told; the stream state is forgotten. */
  onCameraOffline(cameraId: string): void {
    const stream = this.streams.get(cameraId);
    if (!stream) return;
    stream.publishSessionId = null;
    stream.publishNonce = null;
    stream.starting = null;
    if (stream.viewers.size > 0)
      this.toHousehold(cameraId, {
        type: "view.error",
        deviceId: cameraId,
        error: "camera-offline",
        message: "the camera went offline",
      });
  }

  /** Whether this gateway carries the camera's stream now: viewers, a publisher, or a start or stop pending. */
  holdsStream(cameraId: string): boolean {
    const stream = this.streams.get(cameraId);
    if (!stream) return false;
    return (
      stream.viewers.size > 0 ||
      stream.publishSessionId !== null ||
      stream.starting !== null ||
      stream.stopTimer !== null
    );
  }

  viewers(cameraId: string): ViewerIdentity[] {
    return [...(this.streams.get(cameraId)?.viewers.values() ?? [])];
  }

  /** Shutdown: no stream outlives the relay, so every view still open ends now, in the view log too. */
  async stop(reason = "gateway-shutdown"): Promise<void> {
    clearInterval(this.#recheckTimer ?? undefined);
    this.#recheckTimer = null;
    this.#openGrants.clear();
    const sessionIds: string[] = [];
    for (const stream of this.streams.values()) {
      if (stream.stopTimer) clearTimeout(stream.stopTimer);
      sessionIds.push(...stream.viewers.keys());
      stream.viewers.clear();
    }
    this.streams.clear();
    if (sessionIds.length)
      await this.db.viewSession.updateMany({
        where: { id: { in: sessionIds }, endedAt: null },
        data: { endedAt: new Date(), endReason: reason },
      });
  }

  /** At start: views a previous gateway left open (it crashed, or its stop timed out) ended with it. */
  async closeOrphanedViews(reason = "gateway-restart"): Promise<number> {
    const closed = await this.db.viewSession.updateMany({
      where: { endedAt: null },
      data: { endedAt: new Date(), endReason: reason },
    });
    return closed.count;
  }

  // ── internals ─────────────────────────────────────────────────────────
  private stream(cameraId: string): CameraStream {
    let stream = this.streams.get(cameraId);
    if (!stream) {
      stream = {
        viewers: new Map(),
        publishSessionId: null,
        publishNonce: null,
        usedNonces: new Set(),
        starting: null,
        publishedWaiters: new Set(),
        stopTimer: null,
        talking: null,
      };
      this.streams.set(cameraId, stream);
    }
    return stream;
  }

  private ensureStreaming(cameraId: string): Promise<void> {
    const stream = this.stream(cameraId);
    if (stream.publishSessionId) return Promise.resolve();
    stream.starting ??= this.startStream(cameraId).finally(() => {
      stream.starting = null;
    });
    return stream.starting;
  }

  private async startStream(cameraId: string): Promise<void> {
    const published = this.publishedWithin(cameraId, this.policy.startTimeoutMs);
    await this.commands.send(cameraId, { name: "stream-start", params: this.publishTarget(cameraId) }, "live-view");
    await published;
  }

  /** Resolves when the camera's upstream reaches the relay; rejects camera-did-not-stream after `timeoutMs`. */
  private publishedWithin(cameraId: string, timeoutMs: number): Promise<void> {
    const stream = this.stream(cameraId);
    const published = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.publishedWaiters.delete(done);
        reject(new DomainError("camera-did-not-stream"));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      stream.publishedWaiters.add(done);
    });
    // When the command that starts the stream fails first, nobody awaits `published`: its later rejection must
    // not go unhandled, which would end the whole gateway process.
    published.catch(() => undefined);
    return published;
  }

  /** Where and with what a camera publishes: the WHIP URL, a one-time publish token, its ICE servers. */
  private publishTarget(cameraId: string) {
    const { token } = this.tokens.issuePublish(cameraId, this.policy.startTimeoutMs + 60_000);
    const whipUrl = `${this.policy.publicHttpUrl()}/api/v1/whip/${cameraId}`;
    return { whipUrl, token, iceServers: this.iceServersFor(`camera-${cameraId}`) };
  }

  /**
   * The on-site check's stream: the camera publishes its live-view stream (or keeps the one viewers are
   * watching) and the relay's counters are read when media first arrives and `durationS` later.
   */
  async measureUplink(cameraId: string, durationS: number, onMeasuring: () => void): Promise<UplinkReadings> {
    const stream = this.stream(cameraId);
    if (!stream.publishSessionId) {
      const published = this.publishedWithin(cameraId, this.policy.startTimeoutMs);
      // The camera streams a little longer than measured, so the last reading still finds it publishing.
      const params = { ...this.publishTarget(cameraId), durationS: durationS + UPLINK_MARGIN_S };
      const started = await this.commands.send(cameraId, { name: "site-check", params }, "site-check");
      if (started.status !== "succeeded")
        throw new DomainError("camera-did-not-stream", {
          message: `the camera did not stream: ${started.error ?? started.status}`,
        });
      await published;
    }
    const router = this.pool.routerFor(cameraId);
    const first = await this.firstMedia(router);
    onMeasuring();
    // unref: a shutdown need not wait for the window to end (the check is recorded as failed then).
    await new Promise((resolve) => setTimeout(resolve, durationS * 1000).unref());
    return { first, last: await router.cameraIngest() };
  }

  /** The first reading with media in it: ICE and DTLS take a moment after the WHIP answer. */
  private async firstMedia(router: RouterHandle): Promise<CameraIngestReading | null> {
    const giveUpAt = Date.now() + UPLINK_FIRST_MEDIA_MS;
    for (;;) {
      const reading = await router.cameraIngest();
      if ((reading?.video?.packets ?? 0) > 0 || (reading?.audio?.packets ?? 0) > 0 || Date.now() > giveUpAt)
        return reading;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async stopStream(cameraId: string, reason: string): Promise<void> {
    const stream = this.stream(cameraId);
    if (stream.stopTimer) clearTimeout(stream.stopTimer);
    stream.stopTimer = null;
    if (stream.viewers.size > 0 && reason === "no-viewers") return;
    const publishSessionId = stream.publishSessionId;
    stream.publishSessionId = null;
    stream.publishNonce = null;
    if (publishSessionId)
      await this.pool
        .routerFor(cameraId)
        .closeSession(publishSessionId, reason)
        .catch(() => undefined);
    await this.commands.send(cameraId, { name: "stream-stop", params: { reason } }, "live-view").catch(() => undefined);
    this.publishViewers(cameraId);
    this.#events.emit("stream-stopped", cameraId, reason);
  }

  private failViewers(cameraId: string, error: Error): void {
    const code = isDomainError(error) ? error.code : "camera-did-not-stream";
    this.toHousehold(cameraId, { type: "view.error", deviceId: cameraId, error: code, message: error.message });
    const stream = this.stream(cameraId);
    const router = this.pool.routerFor(cameraId);
    for (const sessionId of stream.viewers.keys()) void router.closeSession(sessionId, code).catch(() => undefined);
  }

  /** Tells the camera who watches (its light and chime) and the household who else is watching. */
  private announce(cameraId: string): void {
    const names = [...new Set(this.viewers(cameraId).map((v) => v.displayName))];
    void this.commands
      .send(cameraId, { name: "view-notice", params: { viewers: names } }, "live-view")
      .catch(() => undefined);
    this.publishViewers(cameraId);
  }

  private publishViewers(cameraId: string): void {
    const stream = this.stream(cameraId);
    const unique = new Map([...stream.viewers.values()].map((v) => [v.viewerId, v]));
    this.toHousehold(cameraId, {
      type: "view.viewers",
      deviceId: cameraId,
      viewers: [...unique.values()],
      talking: stream.talking,
      streaming: stream.publishSessionId !== null,
    });
  }

  /** Live messages about a camera go to its household's members (and staff). */
  private toHousehold(cameraId: string, message: ServerMessage): void {
    void this.db.device
      .findUnique({ where: { id: cameraId }, select: { householdId: true } })
      .then((device) =>
        this.hub.publish(message, { deviceId: cameraId, householdId: device?.householdId ?? null, insideHome: true }),
      )
      .catch((err) => this.log.error({ err }, "could not publish a live-view event"));
  }
}
