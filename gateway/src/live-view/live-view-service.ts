// Orchestrates live view around the relay: who may watch, starting the camera's stream over MQTT when
// the first viewer arrives and stopping it a grace period after the last leaves, telling the camera
// who watches, refusing everyone while privacy mode is on, and logging every view for the household.
//
// This class is live view's one face to the gateway and the relay's signaling plugin; each concept is its own
// part, as mediasoup gives each its own class: who may watch (view-grants.ts), each camera's upstream and its
// viewers (camera-streams.ts), what the camera and household are told (live-view-notices.ts), and the view log
// (live-view-store.ts).
import type { RelayPool } from "../../../relay/src/index.ts";
import type { IceServerSource, ViewerIdentity, ViewerRefusal } from "../../../relay/src/index.ts";
import type { Database } from "../../../core/database.ts";
import { TypedEvents, type EventSource } from "../../../core/events.ts";
import type { CommandDispatcher } from "../device-plane/command-dispatcher.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import { CameraStreams, type UplinkReadings } from "./camera-streams.ts";
import { LiveViewNotices } from "./live-view-notices.ts";
import { LiveViewStore } from "./live-view-store.ts";
import { ViewGrants, type GrantEnd, type ViewGrant, type ViewStart } from "./view-grants.ts";
import type { ViewTokens } from "./view-tokens.ts";

export type { UplinkReadings } from "./camera-streams.ts";
export type { ViewStart } from "./view-grants.ts";

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

export interface LiveViewEvents {
  /** This gateway stopped the camera's stream: nobody watched for the grace period, or privacy mode. */
  "stream-stopped": [cameraId: string, reason: string];
}

export class LiveViewService {
  readonly #events: TypedEvents<LiveViewEvents>;
  readonly #tokens: ViewTokens;
  readonly #policy: LiveViewPolicy;
  readonly #store: LiveViewStore;
  readonly #notices: LiveViewNotices;
  readonly #streams: CameraStreams;
  readonly #grants: ViewGrants;

  constructor(options: LiveViewServiceOptions) {
    const { db, commands, hub, log, relay, tokens, policy } = options;
    this.#events = new TypedEvents<LiveViewEvents>({ log, name: "live-view" });
    this.#tokens = tokens;
    this.#policy = policy;
    this.#store = new LiveViewStore(db, log);
    const notices = new LiveViewNotices({ store: this.#store, hub, commands, log });
    this.#notices = notices;
    this.#streams = new CameraStreams({
      commands,
      relay,
      tokens,
      notices,
      iceServers: policy.iceServers,
      publicHttpUrl: () => policy.publicHttpUrl(),
      stopGraceMs: policy.stopGraceMs,
      startTimeoutMs: policy.startTimeoutMs,
      onStopped: (cameraId, reason) => this.#events.emit("stream-stopped", cameraId, reason),
    });
    this.#grants = new ViewGrants({
      db,
      tokens,
      iceServers: policy.iceServers,
      viewerTokenTtlMs: policy.viewerTokenTtlMs,
      installerWindowMs: policy.installerWindowMs,
      admitView: options.admitView ?? (() => Promise.resolve()),
      closeSession: (cameraId, sessionId, reason) => this.#streams.closeSession(cameraId, sessionId, reason),
      log,
    });
  }

  get events(): EventSource<LiveViewEvents> {
    return this.#events;
  }

  /**
   * A signed-in user asks to watch a camera: checks membership, privacy and connection, returns a WHEP token
   * bound to the user's sign-in session (and to the call, for a view that is part of one).
   */
  grantView(user: SignedInUser, deviceId: string, startedBy: ViewStart = "look-in", callId?: string) {
    return this.#grants.grant(user, deviceId, startedBy, callId);
  }

  iceServersFor(clientId: string) {
    return this.#policy.iceServers(clientId);
  }

  // ── called by the relay's signaling plugin ────────────────────────────
  /** Every use of a viewer token (join, talk, leave): the grant must still hold now. */
  authorizeView(cameraId: string, token: string): Promise<ViewerIdentity | null> {
    return this.#grants.authorize(cameraId, token);
  }

  /** Why a grant no longer holds (the view log's end reason), or null when it does (view-grants.ts). */
  whyGrantEnded(grant: ViewGrant): Promise<GrantEnd | null> {
    return this.#grants.whyEnded(grant);
  }

  /** Before the relay starts a viewer session: the same admission as the grant, now (the token may be older). */
  admitViewer(cameraId: string, token: string): Promise<ViewerRefusal | null> {
    return this.#grants.admit(cameraId, token);
  }

  /** A publish token starts one stream; afterwards it is only good for ending that stream. */
  async authorizePublish(cameraId: string, token: string): Promise<boolean> {
    const claims = this.#tokens.verifyPublish(token, cameraId);
    return claims ? this.#streams.authorizePublish(cameraId, claims.nonce) : false;
  }

  async onViewerJoined(event: { cameraId: string; sessionId: string; viewer: ViewerIdentity }): Promise<void> {
    const grant = this.#grants.opened(event.sessionId, event.viewer);
    this.#streams.addViewer(event.cameraId, event.sessionId, event.viewer);
    await this.#store.opened({ ...event, startedBy: grant?.via ?? "look-in" });
    // Answer the viewer at once; its ICE and DTLS handshakes run while the camera starts up.
    this.#streams.ensureStreaming(event.cameraId);
    this.#streams.announce(event.cameraId);
  }

  onViewerLeft(event: { cameraId: string; sessionId: string; reason: string }): void {
    this.#grants.closed(event.sessionId);
    if (!this.#streams.removeViewer(event.cameraId, event.sessionId, event.reason)) return;
    this.#store.closed(event.sessionId, event.reason);
    this.#streams.stopWhenUnwatched(event.cameraId);
    this.#streams.announce(event.cameraId);
  }

  onCameraPublished(event: { cameraId: string; sessionId: string }): void {
    this.#streams.onPublished(event.cameraId, event.sessionId);
  }

  onCameraUnpublished(event: { cameraId: string; sessionId: string }): void {
    this.#streams.onUnpublished(event.cameraId, event.sessionId);
  }

  onTalkbackChanged(event: { cameraId: string; viewerId: string | null }): void {
    const talkerSessions = this.#streams.setTalking(event.cameraId, event.viewerId);
    if (event.viewerId) this.#store.talked(talkerSessions);
    this.#streams.publishPresence(event.cameraId);
  }

  onViewerDownlink(event: Parameters<LiveViewNotices["downlink"]>[0]): void {
    this.#notices.downlink(event);
  }

  /** Privacy switched on (button or command): everyone watching is cut off and the stream stops now. */
  onPrivacyEnabled(cameraId: string): Promise<void> {
    return this.#streams.cutForPrivacy(cameraId);
  }

  /** The camera changed hands (moved, removed, replaced): everyone watching is cut off now. */
  cutCamera(cameraId: string, reason: string): Promise<void> {
    return this.#streams.cutCamera(cameraId, reason);
  }

  /** A person lost the right to watch (removed from a household, account disabled): their sessions end now. */
  async cutViewer(userId: string, scope: { householdId?: string; reason: string }): Promise<void> {
    const cameras = scope.householdId ? await this.#store.camerasOf(scope.householdId) : null;
    await this.#streams.cutViewer(userId, cameras, scope.reason);
  }

  /**
   * Checks the open views (all, or those of one person or one call) against what is true now, and ends those
   * whose grant no longer holds. Never rejects.
   */
  recheckViews(which: { userId?: string; callId?: string } = {}): Promise<void> {
    return this.#grants.recheck(which);
  }

  /** Camera went offline: its viewers are told; the stream state is forgotten. */
  onCameraOffline(cameraId: string): void {
    this.#streams.onCameraOffline(cameraId);
  }

  /** Whether this gateway carries the camera's stream now: viewers, a publisher, or a start or stop pending. */
  holdsStream(cameraId: string): boolean {
    return this.#streams.holds(cameraId);
  }

  viewers(cameraId: string): ViewerIdentity[] {
    return this.#streams.viewers(cameraId);
  }

  /** Shutdown: no stream outlives the relay, so every view still open ends now, in the view log too. */
  async stop(reason = "gateway-shutdown"): Promise<void> {
    this.#grants.stop();
    const sessionIds = this.#streams.clear();
    if (sessionIds.length) await this.#store.endAll(sessionIds, reason);
  }

  /** At start: views a previous gateway left open (it crashed, or its stop timed out) ended with it. */
  closeOrphanedViews(reason = "gateway-restart"): Promise<number> {
    return this.#store.endOrphaned(reason);
  }

  /** The on-site check's stream and two readings of the relay's counters, `durationS` apart. */
  measureUplink(cameraId: string, durationS: number, onMeasuring: () => void): Promise<UplinkReadings> {
    return this.#streams.measureUplink(cameraId, durationS, onMeasuring);
  }
}
