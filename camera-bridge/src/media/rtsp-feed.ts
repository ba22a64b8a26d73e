// One camera's RTSP stream inside the bridge, shared by whoever publishes it: the pull (with its reconnects),
// the re-timing of its RTP and the camera's current GOP. The pull runs while a stream uses the feed and, with
// `lingerMs`, that much longer after the last one stops: a viewer who taps again within it (or a second
// stream) finds a GOP already kept, so it sees the current picture at once whatever the camera's GOP is.
// Lingering pulls over the home's LAN only; nothing goes to the relay meanwhile.
import { RtpPacket } from "werift";
import { AacToOpus } from "./aac-opus.ts";
import { aacTranscoderMissing } from "./ffmpeg-check.ts";
import { aacConfigFromFmtp } from "./aac-rtp.ts";
import type { RtspAccount } from "./rtsp-auth.ts";
import { AAC } from "./rtsp-client.ts";
import { parameterSetsFromSdp } from "./h264-rtp.ts";
import { RtpForwarder, type ForwardedPacket } from "./rtp-forwarder.ts";
import { RtspPull, type Backoff, type PullState } from "./rtsp-pull.ts";
import type { RtspTrack } from "./rtsp-sdp.ts";

export interface RtspFeedOptions {
  url: string;
  account?: RtspAccount;
  backoff?: Backoff;
  timeoutMs?: number;
  /** Video only, without the backchannel (a still from the stream). */
  videoOnly?: boolean;
  /** How long the pull outlives its last stream (default 0: it stops with it). */
  lingerMs?: number;
  onState?(state: PullState, detail: string): void;
  /** The camera's AAC stopped reaching viewers mid-stream (ffmpeg ended): the reason, for the log. */
  onAudioOff?(reason: string): void;
  /** The ffmpeg that turns AAC into Opus (default: ffmpeg on PATH). */
  ffmpeg?: string;
  /**
   * Asks the camera for a keyframe (ONVIF SetSynchronizationPoint): sent once the camera has answered PLAY (a
   * keyframe made before it would reach the camera's other sessions, not this one) and again every
   * KEYFRAME_RETRY_MS until one arrives, as a request can be lost or answered only at the encoder's next chance.
   */
  requestKeyframe?(): void;
}

export interface FeedListener {
  onPacket(kind: "video" | "audio", packet: ForwardedPacket): void;
  /** After the packets of one camera RTP packet were handed over, with the time its bytes were read. */
  onCameraPacketDone?(kind: "video" | "audio", receivedAt: number): void;
}

/** 4 s of 720p at 4 Mbit/s is ~1,700 packets; a GOP longer than this is not kept. */
const MAX_GOP_PACKETS = 4_000;
const KEYFRAME_RETRY_MS = 300;
/** Requests per PLAY at most: a camera that ignores them waits for its own keyframe (its GOP) anyway. */
const KEYFRAME_TRIES = 5;

export class RtspFeed {
  private pull: RtspPull | null = null;
  private starting: Promise<RtspPull> | null = null;
  private readonly listeners = new Set<FeedListener>();
  private lingerTimer: NodeJS.Timeout | undefined;
  private video: RtpForwarder | null = null;
  private audio: RtpForwarder | null = null;
  /** AAC audio: ffmpeg turns it into Opus while the pull runs (keyed by the camera's config, which a reboot may change). */
  private transcoder: { config: string; aac: AacToOpus } | null = null;
  private keyframeRetry: NodeJS.Timeout | undefined;
  private keyframeSincePlay = false;
  /** The camera's current GOP, re-timed (null: no keyframe seen yet, or too long to keep). */
  gop: RtpPacket[] | null = null;

  constructor(private readonly options: RtspFeedOptions) {}

  /** Starts (or keeps) the pull for this listener; the first RTSP failure is thrown. */
  async acquire(listener: FeedListener): Promise<RtspPull> {
    clearTimeout(this.lingerTimer);
    this.listeners.add(listener);
    try {
      return await this.running();
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
  }

  /** The listener is done; the pull stops now or after the linger if nobody else listens. */
  async release(listener: FeedListener): Promise<void> {
    this.listeners.delete(listener);
    if (this.listeners.size > 0) return;
    const linger = this.options.lingerMs ?? 0;
    if (linger <= 0) return this.close();
    clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => {
      if (this.listeners.size === 0) void this.close();
    }, linger);
    this.lingerTimer.unref();
  }

  get state(): PullState {
    return this.pull?.current ?? "stopped";
  }

  get reconnects(): number {
    return this.pull?.reconnects ?? 0;
  }

  sendTalkback(packet: Buffer): void {
    this.pull?.sendTalkback(packet);
  }

  async close(): Promise<void> {
    clearTimeout(this.lingerTimer);
    clearTimeout(this.keyframeRetry);
    const pull = this.pull ?? (await this.starting?.catch(() => null));
    this.pull = null;
    this.starting = null;
    this.gop = null;
    this.transcoder?.aac.close();
    this.transcoder = null;
    await pull?.stop();
  }

  private running(): Promise<RtspPull> {
    if (this.pull && this.pull.current !== "stopped") return Promise.resolve(this.pull);
    this.starting ??= this.startPull().then(
      (pull) => {
        this.pull = pull;
        this.starting = null;
        return pull;
      },
      (error: unknown) => {
        this.starting = null;
        throw error;
      },
    );
    return this.starting;
  }

  private async startPull(): Promise<RtspPull> {
    return RtspPull.start({
      url: this.options.url,
      aacMissing: await aacTranscoderMissing(this.options.ffmpeg),
      account: this.options.account,
      backchannel: !this.options.videoOnly,
      videoOnly: this.options.videoOnly,
      backoff: this.options.backoff,
      timeoutMs: this.options.timeoutMs,
      onPacket: (track, packet) => this.fromCamera(track, packet),
      onState: (state, detail) => {
        if (state === "playing") {
          this.video?.discontinuity();
          this.audio?.discontinuity();
          this.askForKeyframe();
        } else clearTimeout(this.keyframeRetry);
        this.options.onState?.(state, detail);
      },
    });
  }

  /** A new RTSP session starts wherever the camera's GOP is: ask for a keyframe until one comes. */
  private askForKeyframe(): void {
    const request = this.options.requestKeyframe;
    clearTimeout(this.keyframeRetry);
    this.keyframeSincePlay = false;
    if (!request) return;
    let tries = 0;
    const ask = () => {
      if (this.keyframeSincePlay) return;
      request();
      if (++tries < KEYFRAME_TRIES) this.keyframeRetry = setTimeout(ask, KEYFRAME_RETRY_MS).unref();
    };
    ask();
  }

  private fromCamera(track: RtspTrack, raw: Buffer): void {
    const receivedAt = performance.now();
    const kind = track.kind;
    if (track.codec === AAC) return this.toTranscoder(track, raw);
    const forwarder =
      kind === "video"
        ? (this.video ??= new RtpForwarder(true, 3000, parameterSetsFromSdp(track.fmtp["sprop-parameter-sets"])))
        : (this.audio ??= new RtpForwarder(false, 160));
    for (const packet of forwarder.forward(raw)) {
      if (kind === "video" && packet.keyframeStart) {
        this.gop = [];
        this.keyframeSincePlay = true;
      }
      for (const listener of this.listeners) listener.onPacket(kind, packet);
      if (kind !== "video" || !this.gop) continue;
      if (this.gop.length < MAX_GOP_PACKETS) this.gop.push(packet.packet);
      else this.gop = null; // too long to keep: the next keyframe starts a new one
    }
    for (const listener of this.listeners) listener.onCameraPacketDone?.(kind, receivedAt);
  }

  /** AAC into ffmpeg; its Opus comes back as audio packets, already timed (48 kHz, continuous). */
  private toTranscoder(track: RtspTrack, raw: Buffer): void {
    let input: RtpPacket;
    try {
      input = RtpPacket.deSerialize(raw);
    } catch {
      return;
    }
    const config = track.fmtp.config ?? "";
    if (this.transcoder?.config !== config) {
      this.transcoder?.aac.close();
      const aac: AacToOpus = new AacToOpus({
        config: aacConfigFromFmtp(track.fmtp),
        ffmpeg: this.options.ffmpeg,
        onPacket: (packet) => {
          for (const listener of this.listeners) listener.onPacket("audio", { packet, keyframeStart: false });
        },
        // Not started again for this pull: a broken ffmpeg would fail the same way. Video goes on.
        onExit: (reason) => this.options.onAudioOff?.(`AAC audio is off: ${reason}`),
      });
      this.transcoder = { config, aac };
    }
    this.transcoder.aac.push(input.payload, input.header.marker);
  }
}
