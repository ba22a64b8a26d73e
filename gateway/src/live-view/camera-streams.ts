// Each camera's one upstream: started over MQTT when the first viewer arrives, stopped a grace period after
// the last leaves (or at once for privacy mode), with who watches and who holds the talk button. The camera
// publishes with a one-time token; the relay fans its stream out to every viewer.
import type { CameraIngestReading, RelayPool, RouterHandle, ViewerIdentity } from "../../../relay/src/index.ts";
import type { IceServerSource } from "../../../relay/src/index.ts";
import { DomainError, isDomainError } from "../../../protocol/errors.ts";
import type { CommandDispatcher } from "../device-plane/command-dispatcher.ts";
import type { LiveViewNotices } from "./live-view-notices.ts";
import type { ViewTokens } from "./view-tokens.ts";

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

/** Two readings of the relay's counters for the camera's upstream, `durationS` apart (null: not publishing). */
export interface UplinkReadings {
  first: CameraIngestReading | null;
  last: CameraIngestReading | null;
}

/** Seconds the check's test stream runs past the measured window. */
const UPLINK_MARGIN_S = 3;
/** How long after the WHIP answer the first media may take to arrive (ICE, DTLS on a slow link). */
const UPLINK_FIRST_MEDIA_MS = 8_000;

export interface CameraStreamsOptions {
  commands: CommandDispatcher;
  /** The relay's worker pool; it starts after the service is built (throws until then). */
  relay(): RelayPool;
  tokens: ViewTokens;
  notices: LiveViewNotices;
  iceServers: IceServerSource;
  publicHttpUrl(): string;
  stopGraceMs: number;
  startTimeoutMs: number;
  /** This gateway stopped the camera's stream. */
  onStopped(cameraId: string, reason: string): void;
}

export class CameraStreams {
  readonly #o: CameraStreamsOptions;
  readonly #streams = new Map<string, CameraStream>();

  constructor(options: CameraStreamsOptions) {
    this.#o = options;
  }

  // ── viewers ───────────────────────────────────────────────────────────
  /** A viewer joined: the stream's stop (if pending) is off, and it starts if it is not running. */
  addViewer(cameraId: string, sessionId: string, viewer: ViewerIdentity): void {
    const stream = this.#stream(cameraId);
    stream.viewers.set(sessionId, viewer);
    if (stream.stopTimer) clearTimeout(stream.stopTimer);
    stream.stopTimer = null;
  }

  /** Answers whether it was one of the camera's viewers. */
  removeViewer(cameraId: string, sessionId: string, reason: string): boolean {
    const stream = this.#stream(cameraId);
    if (!stream.viewers.delete(sessionId)) return false;
    // A relay worker process died (it is restarted at once): every viewer of the camera lost its session.
    // Tell the household once; viewer pages rejoin by themselves and the rejoin restarts the camera's stream.
    if (reason === "relay-worker-exited" && Date.now() - (stream.relayLostToldAt ?? 0) > 2000) {
      stream.relayLostToldAt = Date.now();
      this.#o.notices.viewError(cameraId, "relay-restarted", "the live-view relay restarted; viewers reconnect");
    }
    return true;
  }

  /** Nobody watches any more: the stream stops after the grace period, unless somebody joins meanwhile. */
  stopWhenUnwatched(cameraId: string): void {
    const stream = this.#stream(cameraId);
    if (stream.viewers.size > 0 || stream.stopTimer) return;
    stream.stopTimer = setTimeout(() => void this.#stop(cameraId, "no-viewers"), this.#o.stopGraceMs);
    stream.stopTimer.unref();
  }

  /** The viewer holding the talk button (null: nobody); answers the relay sessions of that viewer. */
  setTalking(cameraId: string, viewerId: string | null): string[] {
    const stream = this.#stream(cameraId);
    stream.talking = viewerId;
    if (!viewerId) return [];
    return [...stream.viewers].filter(([, v]) => v.viewerId === viewerId).map(([id]) => id);
  }

  viewers(cameraId: string): ViewerIdentity[] {
    return [...(this.#streams.get(cameraId)?.viewers.values() ?? [])];
  }

  /** Tells the camera who watches (its light and chime) and the household who else is watching. */
  announce(cameraId: string): void {
    this.#o.notices.announce(cameraId, this.#presence(cameraId));
  }

  publishPresence(cameraId: string): void {
    this.#o.notices.presence(cameraId, this.#presence(cameraId));
  }

  #presence(cameraId: string) {
    const stream = this.#stream(cameraId);
    return {
      viewers: [...stream.viewers.values()],
      talking: stream.talking,
      streaming: stream.publishSessionId !== null,
    };
  }

  // ── cutting viewers off ───────────────────────────────────────────────
  /** Privacy switched on: everyone watching is cut off and the stream stops now. */
  async cutForPrivacy(cameraId: string): Promise<void> {
    const stream = this.#streams.get(cameraId);
    if (!stream) return;
    await this.#closeSessions(cameraId, [...stream.viewers.keys()], "privacy-mode");
    await this.#stop(cameraId, "privacy-mode");
  }

  /** The camera changed hands (moved, removed, replaced): everyone watching is cut off now. */
  async cutCamera(cameraId: string, reason: string): Promise<void> {
    const stream = this.#streams.get(cameraId);
    if (!stream || stream.viewers.size === 0) return;
    await this.#closeSessions(cameraId, [...stream.viewers.keys()], reason);
  }

  /** A person's sessions end now: on the given cameras only, or (null) on all of them. */
  async cutViewer(userId: string, cameras: Set<string> | null, reason: string): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const [cameraId, stream] of this.#streams) {
      if (cameras && !cameras.has(cameraId)) continue;
      const sessionIds = [...stream.viewers].filter(([, viewer]) => viewer.viewerId === userId).map(([id]) => id);
      if (sessionIds.length) closing.push(this.#closeSessions(cameraId, sessionIds, reason));
    }
    await Promise.all(closing);
  }

  /** Ends one viewer session at the relay. */
  closeSession(cameraId: string, sessionId: string, reason: string): Promise<void> {
    return this.#o.relay().routerFor(cameraId).closeSession(sessionId, reason);
  }

  async #closeSessions(cameraId: string, sessionIds: string[], reason: string): Promise<void> {
    const router = this.#o.relay().routerFor(cameraId);
    await Promise.all(sessionIds.map((id) => router.closeSession(id, reason).catch(() => undefined)));
  }

  // ── the camera's upstream ─────────────────────────────────────────────
  /** A publish token starts one stream; afterwards it is only good for ending that stream. */
  authorizePublish(cameraId: string, nonce: string): boolean {
    const stream = this.#stream(cameraId);
    if (stream.publishNonce === nonce) return true;
    if (stream.usedNonces.has(nonce)) return false;
    stream.usedNonces.add(nonce);
    stream.publishNonce = nonce;
    return true;
  }

  onPublished(cameraId: string, sessionId: string): void {
    const stream = this.#stream(cameraId);
    stream.publishSessionId = sessionId;
    for (const resolve of stream.publishedWaiters) resolve();
    stream.publishedWaiters.clear();
    this.publishPresence(cameraId);
  }

  onUnpublished(cameraId: string, sessionId: string): void {
    const stream = this.#stream(cameraId);
    if (stream.publishSessionId !== sessionId) return;
    stream.publishSessionId = null;
    stream.publishNonce = null;
    this.publishPresence(cameraId);
  }

  /** Camera went offline: its viewers are told; the stream state is forgotten. */
  onCameraOffline(cameraId: string): void {
    const stream = this.#streams.get(cameraId);
    if (!stream) return;
    stream.publishSessionId = null;
    stream.publishNonce = null;
    stream.starting = null;
    if (stream.viewers.size > 0) this.#o.notices.viewError(cameraId, "camera-offline", "the camera went offline");
  }

  /** Whether this gateway carries the camera's stream now: viewers, a publisher, or a start or stop pending. */
  holds(cameraId: string): boolean {
    const stream = this.#streams.get(cameraId);
    if (!stream) return false;
    return (
      stream.viewers.size > 0 ||
      stream.publishSessionId !== null ||
      stream.starting !== null ||
      stream.stopTimer !== null
    );
  }

  /** Starts the camera's stream unless it runs or is starting; if it cannot start, its viewers are cut off. */
  ensureStreaming(cameraId: string): void {
    const stream = this.#stream(cameraId);
    if (stream.publishSessionId) return;
    stream.starting ??= this.#start(cameraId).finally(() => {
      stream.starting = null;
    });
    stream.starting.catch((error: Error) => this.#failViewers(cameraId, error));
  }

  /** Shutdown: every stream is forgotten; answers the viewer sessions that were open. */
  clear(): string[] {
    const sessionIds: string[] = [];
    for (const stream of this.#streams.values()) {
      if (stream.stopTimer) clearTimeout(stream.stopTimer);
      sessionIds.push(...stream.viewers.keys());
      stream.viewers.clear();
    }
    this.#streams.clear();
    return sessionIds;
  }

  /**
   * The on-site check's stream: the camera publishes its live-view stream (or keeps the one viewers are
   * watching) and the relay's counters are read when media first arrives and `durationS` later.
   */
  async measureUplink(cameraId: string, durationS: number, onMeasuring: () => void): Promise<UplinkReadings> {
    const stream = this.#stream(cameraId);
    if (!stream.publishSessionId) {
      const published = this.#publishedWithin(cameraId, this.#o.startTimeoutMs);
      // The camera streams a little longer than measured, so the last reading still finds it publishing.
      const params = { ...this.#publishTarget(cameraId), durationS: durationS + UPLINK_MARGIN_S };
      const started = await this.#o.commands.send(cameraId, { name: "site-check", params }, "site-check");
      if (started.status !== "succeeded")
        throw new DomainError("camera-did-not-stream", {
          message: `the camera did not stream: ${started.error ?? started.status}`,
        });
      await published;
    }
    const router = this.#o.relay().routerFor(cameraId);
    const first = await firstMedia(router);
    onMeasuring();
    // unref: a shutdown need not wait for the window to end (the check is recorded as failed then).
    await new Promise((resolve) => setTimeout(resolve, durationS * 1000).unref());
    return { first, last: await router.cameraIngest() };
  }

  #stream(cameraId: string): CameraStream {
    let stream = this.#streams.get(cameraId);
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
      this.#streams.set(cameraId, stream);
    }
    return stream;
  }

  async #start(cameraId: string): Promise<void> {
    const published = this.#publishedWithin(cameraId, this.#o.startTimeoutMs);
    await this.#o.commands.send(cameraId, { name: "stream-start", params: this.#publishTarget(cameraId) }, "live-view");
    await published;
  }

  /** Resolves when the camera's upstream reaches the relay; rejects camera-did-not-stream after `timeoutMs`. */
  #publishedWithin(cameraId: string, timeoutMs: number): Promise<void> {
    const stream = this.#stream(cameraId);
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
  #publishTarget(cameraId: string) {
    const { token } = this.#o.tokens.issuePublish(cameraId, this.#o.startTimeoutMs + 60_000);
    const whipUrl = `${this.#o.publicHttpUrl()}/api/v1/whip/${cameraId}`;
    return { whipUrl, token, iceServers: this.#o.iceServers(`camera-${cameraId}`) };
  }

  async #stop(cameraId: string, reason: string): Promise<void> {
    const stream = this.#stream(cameraId);
    if (stream.stopTimer) clearTimeout(stream.stopTimer);
    stream.stopTimer = null;
    if (stream.viewers.size > 0 && reason === "no-viewers") return;
    const publishSessionId = stream.publishSessionId;
    stream.publishSessionId = null;
    stream.publishNonce = null;
    if (publishSessionId)
      await this.#o
        .relay()
        .routerFor(cameraId)
        .closeSession(publishSessionId, reason)
        .catch(() => undefined);
    await this.#o.commands
      .send(cameraId, { name: "stream-stop", params: { reason } }, "live-view")
      .catch(() => undefined);
    this.publishPresence(cameraId);
    this.#o.onStopped(cameraId, reason);
  }

  #failViewers(cameraId: string, error: Error): void {
    const code = isDomainError(error) ? error.code : "camera-did-not-stream";
    this.#o.notices.viewError(cameraId, code, error.message);
    const stream = this.#stream(cameraId);
    const router = this.#o.relay().routerFor(cameraId);
    for (const sessionId of stream.viewers.keys()) void router.closeSession(sessionId, code).catch(() => undefined);
  }
}

/** The first reading with media in it: ICE and DTLS take a moment after the WHIP answer. */
async function firstMedia(router: RouterHandle): Promise<CameraIngestReading | null> {
  const giveUpAt = Date.now() + UPLINK_FIRST_MEDIA_MS;
  for (;;) {
    const reading = await router.cameraIngest();
    if ((reading?.video?.packets ?? 0) > 0 || (reading?.audio?.packets ?? 0) > 0 || Date.now() > giveUpAt)
      return reading;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
