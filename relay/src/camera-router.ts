// Everything about one camera's live view, on one mediasoup Router: the camera's WebRtcTransport with its
// video and audio producers (WHIP), each viewer's WebRtcTransport with a consumer per camera track and a
// microphone producer (WHEP), and the talk-back speaker. Transports share their worker's WebRtcServer.
import { randomUUID } from "node:crypto";
import type { types as ms } from "mediasoup";
import { TypedEvents, type EventSource, type ListenerErrorLog } from "../../core/events.ts";
import { DownlinkMonitor, type DownlinkState } from "./downlink-monitor.ts";
import {
  buildAnswer,
  BadOfferError,
  parseOffer,
  peerReceives,
  peerSends,
  producerParameters,
  type AnswerSection,
  type OfferedMedia,
  type ParsedOffer,
} from "./sdp.ts";
import { Speaker, type SpeakerCodec } from "./speaker.ts";

export type SessionRole = "camera" | "viewer";

/** What a router announces (the pool re-announces it with the camera's id). */
export interface RouterEvents {
  sessionClosed: [sessionId: string, role: SessionRole, reason: string, viewerId?: string];
  sessionConnected: [sessionId: string, role: SessionRole, viewerId?: string];
  talkbackChanged: [viewerId: string | null];
  viewerDownlink: [sessionId: string, viewerId: string, state: DownlinkState, reason: string];
}

export interface TrackCounters {
  packets: number;
  bytes: number;
  /** Cumulative missing RTP sequence numbers, as in the relay's RTCP receiver reports. */
  lost: number;
}

export interface CameraIngestReading {
  /** The camera's publish session: two readings compare only within one upstream. */
  sessionId: string;
  /** performance.now() of the reading. */
  at: number;
  video: TrackCounters | null;
  audio: TrackCounters | null;
}

export class SessionNotFoundError extends Error {
  constructor(sessionId: string) {
    super(`no session ${sessionId}`);
    this.name = "SessionNotFoundError";
  }
}

interface Session {
  id: string;
  role: SessionRole;
  viewerId?: string;
  transport: ms.WebRtcTransport;
  producers: ms.Producer[];
  consumers: ms.Consumer[];
  downlink?: VideoDownlink;
  /** Ends a viewer's wait for the camera (its session was closed meanwhile). */
  stopWaiting?: () => void;
  connected: boolean;
  closed: boolean;
}

export interface CameraRouterOptions {
  /** How long a viewer's offer waits for the camera to publish (a cold start asks it over MQTT first). */
  waitForCameraMs: number;
  /** Seconds without ICE consent (RFC 7675) before a vanished peer's session is closed. */
  iceConsentTimeoutS: number;
  /**
   * A session not connected (ICE and DTLS) this long after it began is closed: a peer that never completes the
   * handshake (gone, or an offer with a fingerprint it cannot prove) must not keep a camera streaming.
   */
  connectTimeoutMs: number;
  /** Where a failing listener of the router's events is reported. */
  log: ListenerErrorLog;
}

const CNAME = "wangxiang-relay";

export class CameraRouter {
  private camera: Session | null = null;
  private cameraProducers: { video: ms.Producer; audio?: ms.Producer } | null = null;
  /** The codec the publishing camera's speaker takes (null: it has none, viewers cannot talk). */
  private talkbackCodec: ms.RtpCodecParameters | null = null;
  private readonly sessions = new Map<string, Session>();
  private readonly producerWaiters = new Set<() => void>();
  private closed = false;
  readonly #events: TypedEvents<RouterEvents>;

  private constructor(
    readonly cameraId: string,
    readonly router: ms.Router,
    private readonly server: ms.WebRtcServer,
    private speaker: Speaker,
    private readonly options: CameraRouterOptions,
  ) {
    this.#events = new TypedEvents<RouterEvents>({ log: options.log, name: "camera-router" });
  }

  get events(): EventSource<RouterEvents> {
    return this.#events;
  }

  static async create(
    cameraId: string,
    worker: ms.Worker,
    server: ms.WebRtcServer,
    codecs: ms.RouterRtpCodecCapability[],
    options: CameraRouterOptions,
  ): Promise<CameraRouter> {
    const router = await worker.createRouter({ mediaCodecs: codecs });
    let self: CameraRouter | undefined;
    const speaker = await Speaker.create(router, (holder) => self?.talkbackChanged(holder));
    self = new CameraRouter(cameraId, router, server, speaker, options);
    return self;
  }

  /** The camera publishes (WHIP): video + audio in, talk-back audio out on its audio section. */
  async connectCamera(offerSdp: string): Promise<{ sessionId: string; answerSdp: string }> {
    const offer = parseOffer(offerSdp);
    const videoIn = offer.media.find((m) => m.kind === "video" && peerSends(m));
    if (!videoIn) throw new BadOfferError("a camera's offer must send video");
    const session = await this.newSession("camera", randomUUID());
    try {
      const sections: AnswerSection[] = [];
      const produced: { video?: ms.Producer; audio?: ms.Producer } = {};
      let talkback: ms.RtpCodecParameters | null = null;
      for (const media of offer.media) {
        const section: AnswerSection = { media, receive: false };
        if (peerSends(media) && !produced[media.kind]) {
          const producer = await session.transport.produce({
            kind: media.kind,
            rtpParameters: producerParameters(media),
            keyFrameRequestDelay: media.kind === "video" ? 1000 : 0,
          });
          session.producers.push(producer);
          produced[media.kind] = producer;
          section.receive = true;
        }
        if (media.kind === "audio" && peerReceives(media)) {
          await this.speakerFor(media.codec);
          section.send = (await this.consume(session, this.speaker.producer, offer, media.mid)).rtpParameters;
          talkback = media.codec;
        }
        sections.push(section);
      }
      await session.transport.connect({ dtlsParameters: offer.dtlsParameters });
      const previous = this.camera;
      this.camera = session;
      this.cameraProducers = { video: produced.video!, audio: produced.audio };
      this.talkbackCodec = talkback;
      // A camera that publishes again replaces the previous upstream; its viewers rejoin.
      if (previous) await this.closeSession(previous.id, "replaced");
      for (const resolve of this.producerWaiters) resolve();
      this.producerWaiters.clear();
      return { sessionId: session.id, answerSdp: this.answer(session, sections) };
    } catch (error) {
      await this.closeSession(session.id, "failed");
      throw error;
    }
  }

  /** A viewer subscribes (WHEP): camera video + audio out, microphone in. Waits for the camera to publish. */
  async connectViewer(
    offerSdp: string,
    viewerId: string,
    sessionId: string = randomUUID(),
  ): Promise<{ sessionId: string; answerSdp: string }> {
    const offer = parseOffer(offerSdp);
    if (!offer.media.some((m) => peerReceives(m)))
      throw new BadOfferError("a viewer's offer must receive audio or video");
    const session = await this.newSession("viewer", sessionId, viewerId);
    try {
      const camera = await this.cameraPublished(session);
      const sections: AnswerSection[] = [];
      for (const media of offer.media) {
        const section: AnswerSection = { media, receive: false };
        const source = media.kind === "video" ? camera.video : camera.audio;
        if (peerReceives(media) && source) {
          const consumer = await this.consume(session, source, offer, media.mid, true);
          section.send = consumer.rtpParameters;
          if (media.kind === "video")
            session.downlink = new VideoDownlink(consumer, (state, reason) =>
              this.#events.emit("viewerDownlink", session.id, viewerId, state, reason),
            );
        }
        if (media.kind === "audio" && peerSends(media) && !session.producers.length) {
          const codec = this.microphoneCodec(media, section.send);
          if (codec) section.receive = await this.addMicrophone(session, media, viewerId, codec);
          if (codec && section.receive && codec !== media.codec) section.receiveCodec = codec;
        }
        sections.push(section);
      }
      await session.transport.connect({ dtlsParameters: offer.dtlsParameters });
      return { sessionId: session.id, answerSdp: this.answer(session, sections) };
    } catch (error) {
      await this.closeSession(session.id, "failed");
      throw error;
    }
  }

  hasSession(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  counts(): { transports: number; producers: number; consumers: number } {
    let producers = 1; // the talk-back speaker
    let consumers = 0;
    for (const session of this.sessions.values()) {
      producers += session.producers.length;
      consumers += session.consumers.length;
    }
    return { transports: this.sessions.size, producers, consumers };
  }

  sessionList(): { sessionId: string; role: SessionRole; viewerId?: string }[] {
    return [...this.sessions.values()].map((s) => ({ sessionId: s.id, role: s.role, viewerId: s.viewerId }));
  }

  async closeSession(sessionId: string, reason: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session || session.closed) return;
    session.closed = true;
    this.sessions.delete(sessionId);
    session.stopWaiting?.();
    session.downlink?.close();
    for (const producer of session.producers)
      if (session.role === "viewer") this.speaker.removeMicrophone(producer.id, session.viewerId!);
    if (this.camera === session) {
      this.camera = null;
      this.cameraProducers = null;
      this.talkbackCodec = null;
    }
    session.transport.close();
    this.#events.emit("sessionClosed", session.id, session.role, reason, session.viewerId);
    // Viewers of this upstream have nothing left to receive: they rejoin when the camera is back. Viewers
    // still waiting for the camera's next upstream keep waiting.
    if (session.role === "camera") {
      const gone = new Set(session.producers.map((p) => p.id));
      for (const viewer of [...this.sessions.values()]) {
        if (viewer.consumers.some((c) => gone.has(c.producerId))) await this.closeSession(viewer.id, "camera-left");
      }
    }
  }

  /** Counters of what has arrived from the camera so far, per track (the on-site check reads them twice). */
  async cameraIngest(): Promise<CameraIngestReading | null> {
    const camera = this.camera;
    if (!camera) return null;
    const reading: CameraIngestReading = { sessionId: camera.id, at: performance.now(), video: null, audio: null };
    for (const producer of camera.producers) {
      const inbound = (await producer.getStats().catch(() => []))[0];
      if (inbound)
        reading[producer.kind] = { packets: inbound.packetCount, bytes: inbound.byteCount, lost: inbound.packetsLost };
    }
    return reading;
  }

  async stats() {
    return {
      cameraId: this.cameraId,
      cameraConnected: this.camera?.connected ?? false,
      talkbackViewerId: this.speaker.current,
      sessions: await Promise.all(
        [...this.sessions.values()].map(async (s) => ({
          sessionId: s.id,
          role: s.role,
          viewerId: s.viewerId ?? null,
          iceState: s.transport.iceState,
          dtlsState: s.transport.dtlsState,
          transport: (await s.transport.getStats().catch(() => []))[0] ?? null,
          producers: await Promise.all(s.producers.map(producerStats)),
          consumers: await Promise.all(s.consumers.map((c) => consumerStats(c, s.downlink))),
        })),
      ),
    };
  }

  async close(reason = "router-closed"): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.sessions.keys()]) await this.closeSession(id, reason);
    for (const resolve of this.producerWaiters) resolve();
    this.speaker.close();
    this.router.close();
  }

  /** The router's worker died: sessions end without touching the (gone) worker. */
  abandon(reason: string): void {
    this.closed = true;
    for (const session of this.sessions.values()) {
      session.closed = true;
      session.downlink?.close();
      this.#events.emit("sessionClosed", session.id, session.role, reason, session.viewerId);
    }
    this.sessions.clear();
    for (const resolve of this.producerWaiters) resolve();
  }

  private async newSession(role: SessionRole, id: string, viewerId?: string): Promise<Session> {
    if (this.closed) throw new Error("this camera's router is closed");
    const transport = await this.router.createWebRtcTransport({
      webRtcServer: this.server,
      iceConsentTimeout: this.options.iceConsentTimeoutS,
      initialAvailableOutgoingBitrate: 600_000,
    });
    const session: Session = {
      id,
      role,
      viewerId,
      transport,
      producers: [],
      consumers: [],
      connected: false,
      closed: false,
    };
    this.sessions.set(id, session);
    const connectDeadline = setTimeout(() => {
      if (!session.connected) void this.closeSession(id, "webrtc-connect-timeout");
    }, this.options.connectTimeoutMs);
    connectDeadline.unref();
    transport.observer.once("close", () => clearTimeout(connectDeadline));
    transport.on("dtlsstatechange", (state) => {
      if (state === "connected" && !session.connected) {
        session.connected = true;
        // Consumers start paused; resuming a video consumer asks the camera for a keyframe for this viewer.
        for (const consumer of session.consumers) void consumer.resume().catch(() => undefined);
        this.#events.emit("sessionConnected", id, role, viewerId);
      } else if (state === "failed" || state === "closed") {
        void this.closeSession(id, `webrtc-${state}`);
      }
    });
    transport.on("icestatechange", (state) => {
      // mediasoup reports "disconnected" once ICE consent has expired: the peer is gone.
      if (state === "disconnected" || state === "closed")
        void this.closeSession(id, `webrtc-${state === "closed" ? "closed" : "failed"}`);
    });
    return session;
  }

  private async consume(
    session: Session,
    producer: ms.Producer,
    offer: ParsedOffer,
    mid: string,
    paused = false,
  ): Promise<ms.Consumer> {
    if (!this.router.canConsume({ producerId: producer.id, rtpCapabilities: offer.rtpCapabilities })) {
      throw new BadOfferError(`the offer cannot receive the camera's ${producer.kind}`);
    }
    const consumer = await session.transport.consume({
      producerId: producer.id,
      rtpCapabilities: offer.rtpCapabilities,
      mid,
      paused: paused && !session.connected,
    });
    session.consumers.push(consumer);
    return consumer;
  }

  /**
   * The codec a viewer talks in: the one the camera's speaker takes, passed through (G.711 for an IP camera
   * behind the bridge, which browsers offer). One codec per answered section, so when the viewer also
   * receives the camera's audio the two must agree. null: this viewer cannot talk to this camera.
   */
  private microphoneCodec(media: OfferedMedia, sent: ms.RtpParameters | undefined): ms.RtpCodecParameters | null {
    const wanted = this.talkbackCodec;
    if (!wanted) return null;
    const sameCodec = (mimeType: string) => mimeType.toLowerCase() === wanted.mimeType.toLowerCase();
    if (sent?.codecs[0] && !sameCodec(sent.codecs[0].mimeType)) return null;
    return media.codecs.find((c) => sameCodec(c.mimeType) && c.clockRate === wanted.clockRate) ?? null;
  }

  /** The talk-back speaker in the codec the camera takes; a camera in another codec gets a new one. */
  private async speakerFor(codec: ms.RtpCodecParameters): Promise<void> {
    const current = this.speaker.codec;
    if (current.mimeType.toLowerCase() === codec.mimeType.toLowerCase() && current.clockRate === codec.clockRate)
      return;
    const wanted: SpeakerCodec = {
      mimeType: codec.mimeType,
      clockRate: codec.clockRate,
      channels: codec.channels ?? 1,
      payloadType: routerPayloadType(this.router, codec),
    };
    this.speaker.close();
    this.speaker = await Speaker.create(this.router, (holder) => this.talkbackChanged(holder), wanted);
  }

  /** A viewer's microphone for talk-back. Without it (an offer mediasoup cannot take as a producer) the viewer only watches. */
  private async addMicrophone(
    session: Session,
    media: OfferedMedia,
    viewerId: string,
    codec: ms.RtpCodecParameters,
  ): Promise<boolean> {
    try {
      const microphone = await session.transport.produce({
        kind: "audio",
        rtpParameters: producerParameters(media, codec),
      });
      session.producers.push(microphone);
      await this.speaker.addMicrophone(microphone, viewerId, this.router.rtpCapabilities);
      return true;
    } catch {
      return false;
    }
  }

  private cameraPublished(session: Session): Promise<{ video: ms.Producer; audio?: ms.Producer }> {
    if (this.cameraProducers) return Promise.resolve(this.cameraProducers);
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.producerWaiters.delete(ready);
        session.stopWaiting = undefined;
        if (error) reject(error);
        else if (this.cameraProducers && !session.closed) resolve(this.cameraProducers);
        else
          reject(
            new Error(
              session.closed
                ? "the viewer's session was closed while it waited for the camera"
                : "the camera's router closed",
            ),
          );
      };
      const ready = () => done();
      const timer = setTimeout(
        () => done(new Error(`camera ${this.cameraId} did not publish within ${this.options.waitForCameraMs} ms`)),
        this.options.waitForCameraMs,
      );
      this.producerWaiters.add(ready);
      session.stopWaiting = ready;
    });
  }

  private answer(session: Session, sections: AnswerSection[]): string {
    const t = session.transport;
    return buildAnswer(
      { iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters },
      sections,
      CNAME,
    );
  }

  private talkbackChanged(holder: string | null): void {
    this.#events.emit("talkbackChanged", holder);
  }
}

/**
 * Weak downlinks: while a viewer's video is on, its consumer's stats are read twice a second and the fraction
 * lost from each new receiver report feeds the DownlinkMonitor policy (sustained ≥ 20 % → video paused, audio
 * goes on; back-off, then video tried again, resuming with a keyframe). mediasoup's consumer score alone was
 * tried first and does not fall on a thin link here: NACK retransmissions count as repairs.
 */
class VideoDownlink {
  private readonly monitor: DownlinkMonitor;
  private poll: NodeJS.Timeout | undefined;
  private lastReport = "";
  lastFractionLost: number | null = null;
  score = 10;

  constructor(
    private readonly consumer: ms.Consumer,
    onChange: (state: DownlinkState, reason: string) => void,
  ) {
    this.monitor = new DownlinkMonitor(({ state, reason }) => {
      void (state === "audio-only" ? consumer.pause() : consumer.resume()).catch(() => undefined);
      this.updatePolling();
      onChange(state, reason);
    });
    consumer.on("score", ({ score }) => {
      this.score = score;
      this.updatePolling();
    });
  }

  get paused(): boolean {
    return this.monitor.current === "audio-only";
  }

  get pauses(): number {
    return this.monitor.pauses;
  }

  close(): void {
    clearInterval(this.poll);
    this.poll = undefined;
    this.monitor.close();
  }

  private updatePolling(): void {
    const watch = this.monitor.current === "video";
    if (watch && !this.poll) {
      this.poll = setInterval(() => void this.read(), 500);
      this.poll.unref();
    } else if (!watch && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  private async read(): Promise<void> {
    const stats = await this.consumer.getStats().catch(() => []);
    const outbound = stats.find((s) => s.type === "outbound-rtp") as
      { fractionLost?: number; packetsLost?: number } | undefined;
    if (!outbound || outbound.fractionLost === undefined) return;
    const key = `${outbound.fractionLost}/${outbound.packetsLost}`;
    if (key === this.lastReport) return; // no new receiver report since the last read
    this.lastReport = key;
    this.lastFractionLost = outbound.fractionLost / 256;
    this.monitor.report(this.lastFractionLost, 0);
  }
}

function routerPayloadType(router: ms.Router, codec: ms.RtpCodecParameters): number {
  const match = router.rtpCapabilities.codecs?.find(
    (c) => c.mimeType.toLowerCase() === codec.mimeType.toLowerCase() && c.clockRate === codec.clockRate,
  );
  return match?.preferredPayloadType ?? codec.payloadType;
}

async function producerStats(producer: ms.Producer) {
  const stats = await producer.getStats().catch(() => []);
  const inbound = stats[0] as { packetCount?: number; byteCount?: number; score?: number } | undefined;
  return {
    kind: producer.kind,
    producerId: producer.id,
    paused: producer.paused,
    packetsReceived: inbound?.packetCount ?? 0,
    bytesReceived: inbound?.byteCount ?? 0,
    score: producer.score[0]?.score ?? null,
  };
}

async function consumerStats(consumer: ms.Consumer, downlink: VideoDownlink | undefined) {
  const stats = await consumer.getStats().catch(() => []);
  const outbound = stats.find((s) => s.type === "outbound-rtp") as
    { packetCount?: number; byteCount?: number } | undefined;
  const isVideo = consumer.kind === "video" && downlink !== undefined;
  return {
    kind: consumer.kind,
    consumerId: consumer.id,
    packetsSent: outbound?.packetCount ?? 0,
    bytesSent: outbound?.byteCount ?? 0,
    paused: isVideo ? downlink.paused : consumer.paused,
    pauses: isVideo ? downlink.pauses : 0,
    lastFractionLost: isVideo ? downlink.lastFractionLost : null,
    // A simple (one-layer) consumer rewrites sequence numbers, not RTP timestamps: the viewer sees the camera's clock.
    rtpTimestampOffset: 0,
    score: consumer.score.score,
  };
}
