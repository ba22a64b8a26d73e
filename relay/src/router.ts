// A Router holds everything about one camera's live view: the camera's session (two producers and the
// talk-back consumer) and every viewer's session (two consumers and a microphone producer). It lives in
// a relay worker process; the main thread talks to it through RelayPool.
import { randomUUID } from "node:crypto";
import { RTCPeerConnection, type RTCRtpTransceiver } from "werift";
import { Consumer } from "./consumer.ts";
import type { DownlinkState } from "./downlink-monitor.ts";
import { relayPeerConfig, type RelayNetworkOptions } from "./peer-config.ts";
import { Producer } from "./producer.ts";
import { TalkbackFloor } from "./talkback-floor.ts";
import { gatheredLocalSdp } from "../../core/webrtc.ts";

export type SessionRole = "camera" | "viewer";

export interface RouterEvents {
  sessionClosed(sessionId: string, role: SessionRole, reason: string, viewerId?: string): void;
  sessionConnected(sessionId: string, role: SessionRole, viewerId?: string): void;
  talkbackChanged(viewerId: string | null): void;
  /** A viewer's downlink could not carry video (audio only) or video was tried again. */
  viewerDownlink(sessionId: string, viewerId: string, state: DownlinkState, reason: string): void;
}

interface Session {
  id: string;
  role: SessionRole;
  viewerId?: string;
  pc: RTCPeerConnection;
  producers: Producer[];
  consumers: Consumer[];
  connectedAt?: number;
}

export class SessionNotFoundError extends Error {
  constructor(sessionId: string) {
    super(`no session ${sessionId}`);
    this.name = "SessionNotFoundError";
  }
}

export class Router {
  private camera: Session | null = null;
  private cameraVideo: Producer | null = null;
  private cameraAudio: Producer | null = null;
  private speaker: Consumer | null = null;
  private readonly sessions = new Map<string, Session>();
  private readonly floor: TalkbackFloor;

  constructor(readonly cameraId: string, private readonly network: RelayNetworkOptions, private readonly events: RouterEvents) {
    this.floor = new TalkbackFloor(() => this.speaker, (holder) => {
      const session = holder && [...this.sessions.values()].find((s) => s.producers.includes(holder));
      this.events.talkbackChanged(session?.viewerId ?? null);
    });
  }

  /** The camera publishes (WHIP): video + audio in, talk-back audio out on its audio transceiver. */
  async connectCamera(offerSdp: string): Promise<{ sessionId: string; answerSdp: string }> {
    const pc = new RTCPeerConnection(relayPeerConfig(this.network));
    const session = this.newSession("camera", pc);
    const video = pc.addTransceiver("video", { direction: "recvonly" });
    const audio = pc.addTransceiver("audio", { direction: "sendrecv" });
    const speaker = new Consumer("audio", audio.sender);
    session.consumers.push(speaker);
    this.watchTrack(video, (track) => {
      const producer = new Producer({
        kind: "video", source: "camera", track,
        sendKeyFrameRequest: () => { if (track.ssrc !== undefined) void video.receiver.sendRtcpPLI(track.ssrc); },
      });
      session.producers.push(producer);
      return producer;
    });
    this.watchTrack(audio, (track) => {
      const producer = new Producer({ kind: "audio", source: "camera", track });
      session.producers.push(producer);
      return producer;
    });
    const answerSdp = await this.answer(pc, offerSdp);
    // A camera that publishes again replaces the previous upstream; viewers stay connected.
    const previous = this.camera;
    this.camera = session;
    this.speaker = speaker;
    this.floor.speakerChanged();
    if (previous) await this.closeSession(previous.id, "replaced");
    this.attachViewers(session);
    return { sessionId: session.id, answerSdp };
  }

  /** A viewer subscribes (WHEP): video + audio out, microphone in on its audio transceiver. */
  async connectViewer(offerSdp: string, viewerId: string): Promise<{ sessionId: string; answerSdp: string }> {
    const pc = new RTCPeerConnection(relayPeerConfig(this.network));
    const session = this.newSession("viewer", pc, viewerId);
    const video = pc.addTransceiver("video", { direction: "sendonly" });
    const audio = pc.addTransceiver("audio", { direction: "sendrecv" });
    const videoConsumer = new Consumer("video", video.sender, {
      onDownlinkChange: ({ state, reason }) => this.events.viewerDownlink(session.id, viewerId, state, reason),
    });
    const audioConsumer = new Consumer("audio", audio.sender);
    session.consumers.push(videoConsumer, audioConsumer);
    if (this.cameraVideo) videoConsumer.attach(this.cameraVideo);
    if (this.cameraAudio) audioConsumer.attach(this.cameraAudio);
    this.watchTrack(audio, (track) => {
      const microphone = new Producer({ kind: "audio", source: "microphone", track });
      session.producers.push(microphone);
      this.floor.addMicrophone(microphone);
      return microphone;
    });
    const answerSdp = await this.answer(pc, offerSdp);
    return { sessionId: session.id, answerSdp };
  }

  hasSession(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  async closeSession(sessionId: string, reason: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    for (const consumer of session.consumers) consumer.close();
    for (const producer of session.producers) {
      if (producer.source === "microphone") this.floor.removeMicrophone(producer);
      producer.close();
    }
    if (this.camera === session) {
      this.camera = null;
      this.cameraVideo = null;
      this.cameraAudio = null;
      this.speaker = null;
      for (const viewer of this.sessions.values()) for (const consumer of viewer.consumers) consumer.detach();
    }
    this.events.sessionClosed(session.id, session.role, reason, session.viewerId);
    await session.pc.close().catch(() => {});
  }

  stats() {
    return {
      cameraId: this.cameraId,
      cameraConnected: this.camera?.connectedAt !== undefined,
      talkbackViewerId: this.sessionOf(this.floor.current)?.viewerId ?? null,
      sessions: [...this.sessions.values()].map((s) => ({
        sessionId: s.id, role: s.role, viewerId: s.viewerId ?? null, connectionState: s.pc.connectionState,
        producers: s.producers.map((p) => p.stats()),
        consumers: s.consumers.map((c) => c.stats()),
      })),
    };
  }

  async close(): Promise<void> {
    for (const id of [...this.sessions.keys()]) await this.closeSession(id, "router-closed");
    this.floor.close();
  }

  private newSession(role: SessionRole, pc: RTCPeerConnection, viewerId?: string): Session {
    const session: Session = { id: randomUUID(), role, viewerId, pc, producers: [], consumers: [] };
    this.sessions.set(session.id, session);
    pc.connectionStateChange.subscribe((state) => {
      if (state === "connected" && session.connectedAt === undefined) {
        session.connectedAt = performance.now();
        for (const consumer of session.consumers) consumer.start();
        this.events.sessionConnected(session.id, role, viewerId);
      } else if (state === "failed" || state === "closed") {
        void this.closeSession(session.id, `webrtc-${state}`);
      }
    });
    return session;
  }

  private watchTrack(transceiver: RTCRtpTransceiver, toProducer: (track: Parameters<Parameters<RTCRtpTransceiver["onTrack"]["subscribe"]>[0]>[0]) => Producer): void {
    transceiver.onTrack.subscribe((track) => {
      const producer = toProducer(track);
      if (producer.source !== "camera") return;
      if (producer.kind === "video") this.cameraVideo = producer;
      else this.cameraAudio = producer;
      if (this.camera && this.camera.producers.includes(producer)) this.attachViewers(this.camera);
    });
  }

  private attachViewers(camera: Session): void {
    if (this.camera !== camera) return;
    for (const viewer of this.sessions.values()) {
      if (viewer.role !== "viewer") continue;
      for (const consumer of viewer.consumers) {
        const producer = consumer.kind === "video" ? this.cameraVideo : this.cameraAudio;
        if (producer && camera.producers.includes(producer)) consumer.attach(producer);
      }
    }
  }

  private sessionOf(producer: Producer | null): Session | undefined {
    return producer ? [...this.sessions.values()].find((s) => s.producers.includes(producer)) : undefined;
  }

  /** Non-trickle: the answer carries every candidate. Host candidates gather in a few ms. */
  private async answer(pc: RTCPeerConnection, offerSdp: string): Promise<string> {
    try {
      await pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
      await pc.setLocalDescription(await pc.createAnswer());
    } catch (error) {
      // An offer we cannot negotiate is the client's mistake: it becomes a 400, not a relay failure.
      throw Object.assign(new Error(`cannot answer this offer: ${(error as Error).message}`), { name: "BadRequest" });
    }
    return gatheredLocalSdp(pc);
  }
}
