// Pulls one camera's RTSP stream for as long as somebody watches, and comes back on its own: a dropped
// connection, a camera that reboots or one that goes silent is retried with exponential backoff (with
// jitter, capped) until it plays again or the pull is stopped.
import type { RtspAccount } from "./rtsp-auth.ts";
import { chooseTracks, RtspClient, type RtspTracks } from "./rtsp-client.ts";
import type { RtspTrack } from "./rtsp-sdp.ts";

export interface Backoff {
  baseMs: number;
  capMs: number;
}

export type PullState = "playing" | "reconnecting" | "stopped";

export interface RtspPullOptions {
  url: string;
  account?: RtspAccount;
  backchannel: boolean;
  /** SET UP the video track only (a still needs no audio). */
  videoOnly?: boolean;
  /** Why AAC cannot become Opus on this box (null: it can): see chooseTracks. */
  aacMissing: string | null;
  backoff?: Backoff;
  timeoutMs?: number;
  /** No RTP for this long while playing: the camera is treated as gone (a frozen encoder keeps TCP open). */
  silenceMs?: number;
  onPacket(track: RtspTrack, packet: Buffer): void;
  onState?(state: PullState, detail: string): void;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, capMs: 30_000 };

export function backoffDelay(attempt: number, backoff: Backoff): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export class RtspPull {
  private client: RtspClient | null = null;
  private state: PullState = "playing";
  private lastPacketAt = performance.now();
  private watchdog: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  reconnects = 0;

  private constructor(
    private readonly options: RtspPullOptions,
    readonly tracks: RtspTracks,
  ) {}

  /** Connects and plays; the first failure is thrown (the caller tells unreachable from auth-failed). */
  static async start(options: RtspPullOptions): Promise<RtspPull> {
    const { client, tracks } = await RtspPull.open(options);
    const pull = new RtspPull(options, tracks);
    pull.adopt(client);
    return pull;
  }

  private static async open(options: RtspPullOptions): Promise<{ client: RtspClient; tracks: RtspTracks }> {
    const client = await RtspClient.connect({ ...options, timeoutMs: options.timeoutMs ?? 5_000 });
    try {
      const tracks = chooseTracks(await client.describe(), options.aacMissing);
      const all = options.videoOnly ? [tracks.video] : [tracks.video, tracks.audio, tracks.talkback];
      const wanted = all.filter((t): t is RtspTrack => t !== null);
      await client.play(wanted);
      return { client, tracks };
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  get current(): PullState {
    return this.state;
  }

  /** An RTP packet for the camera's speaker (the backchannel), if this session has one. */
  sendTalkback(packet: Buffer): void {
    const talkback = this.tracks.talkback;
    if (talkback && this.state === "playing") this.client?.sendTo(this.talkbackTrack(talkback), packet);
  }

  async stop(): Promise<void> {
    this.state = "stopped";
    clearInterval(this.watchdog);
    clearTimeout(this.retryTimer);
    await this.client?.close();
    this.client = null;
  }

  /** The backchannel track of the current session (a reconnect describes the camera afresh). */
  private talkbackTrack(first: RtspTrack): RtspTrack {
    return this.currentTracks?.talkback ?? first;
  }

  private currentTracks: RtspTracks | null = null;

  private adopt(client: RtspClient, tracks: RtspTracks = this.tracks): void {
    this.client = client;
    this.currentTracks = tracks;
    this.lastPacketAt = performance.now();
    client.onRtp((track, packet) => {
      this.lastPacketAt = performance.now();
      this.options.onPacket(track, packet);
    });
    client.onClose((error) => this.lost(client, error.message));
    const silenceMs = this.options.silenceMs ?? 5_000;
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      if (performance.now() - this.lastPacketAt > silenceMs) void client.close();
    }, silenceMs / 4);
    this.watchdog.unref();
    this.setState("playing", "playing");
  }

  private lost(client: RtspClient, reason: string): void {
    if (this.state === "stopped" || client !== this.client) return;
    clearInterval(this.watchdog);
    this.client = null;
    this.setState("reconnecting", reason);
    this.retry(0);
  }

  private retry(attempt: number): void {
    if (this.state === "stopped") return;
    const delay = backoffDelay(attempt, this.options.backoff ?? DEFAULT_BACKOFF);
    this.retryTimer = setTimeout(() => {
      RtspPull.open(this.options).then(
        ({ client, tracks }) => {
          if (this.state === "stopped") return void client.close();
          this.reconnects++;
          this.adopt(client, tracks);
        },
        (error: Error) => {
          this.setState("reconnecting", error.message);
          this.retry(attempt + 1);
        },
      );
    }, delay);
    this.retryTimer.unref();
  }

  private setState(state: PullState, detail: string): void {
    this.state = state;
    this.options.onState?.(state, detail);
  }
}
