// A small RTSP client for IP cameras: OPTIONS, DESCRIBE (Basic or Digest auth), SETUP of each track over the
// RTSP connection itself (RTP/AVP/TCP interleaved: no UDP ports to open, no loss on a busy Wi-Fi), PLAY,
// keep-alives within the session timeout, TEARDOWN. With `backchannel`, it asks for the ONVIF audio
// backchannel (ONVIF Streaming spec §5.3) and falls back to a plain session if the camera has none.
import { authorizationHeader, parseChallenges, type AuthChallenge, type RtspAccount } from "./rtsp-auth.ts";
import { header, RtspConnection, RtspError, type RtspResponse } from "./rtsp-connection.ts";
import { parseCameraSdp, type RtspTrack } from "./rtsp-sdp.ts";
import { aacConfigFromFmtp } from "./aac-rtp.ts";

export const BACKCHANNEL_REQUIRE = "www.onvif.org/ver20/backchannel";

export interface RtspTarget {
  url: string;
  account?: RtspAccount;
}

export interface RtspClientOptions extends RtspTarget {
  backchannel?: boolean;
  /** Per request, and for the TCP connection. */
  timeoutMs?: number;
}

export interface RtspTracks {
  video: RtspTrack;
  /** G.711 (passed through) or AAC (to Opus); null when the camera sends none the bridge can use. */
  audio: RtspTrack | null;
  talkback: RtspTrack | null;
  /** Why the camera's audio is not sent (null: it is, or it has none). */
  audioOff: string | null;
}

export const AAC = "MPEG4-GENERIC";
const PASSTHROUGH_AUDIO = ["PCMA", "PCMU"];

/** The target's address, its URL without credentials, and the account (given, or from the URL). */
export function splitTarget(target: RtspTarget): { host: string; port: number; url: string; account?: RtspAccount } {
  let parsed: URL;
  try {
    parsed = new URL(target.url);
  } catch {
    throw new RtspError("protocol", "not an rtsp:// URL");
  }
  if (parsed.protocol !== "rtsp:") throw new RtspError("protocol", "not an rtsp:// URL");
  const fromUrl = parsed.username
    ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
    : undefined;
  parsed.username = "";
  parsed.password = "";
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: Number(parsed.port || 554),
    url: parsed.toString(),
    account: target.account ?? fromUrl,
  };
}

/**
 * Picks what the bridge can send: H.264 video, G.711 audio as it is or AAC through the Opus transcoder
 * (`aacMissing`: why there is none, null when ffmpeg can do it), a G.711 backchannel.
 */
export function chooseTracks(tracks: RtspTrack[], aacMissing: string | null): RtspTracks {
  const video = tracks.find((t) => t.kind === "video" && !t.backchannel && t.codec === "H264");
  if (!video) {
    const offered = tracks.map((t) => t.codec).join(", ") || "nothing";
    throw new RtspError("no-stream", `the camera offers no H.264 video (it offers ${offered})`);
  }
  const sent = tracks.filter((t) => t.kind === "audio" && !t.backchannel);
  const g711 = sent.find((t) => PASSTHROUGH_AUDIO.includes(t.codec));
  const aac = sent.find((t) => t.codec === AAC);
  const talkback = tracks.find((t) => t.kind === "audio" && t.backchannel && PASSTHROUGH_AUDIO.includes(t.codec));
  const choice = { video, talkback: talkback ?? null };
  if (g711) return { ...choice, audio: g711, audioOff: null };
  if (!aac) {
    const audioOff = sent.length ? `${sent[0]!.codec} audio is not supported` : null;
    return { ...choice, audio: null, audioOff };
  }
  const why = aacMissing ?? aacUnusable(aac);
  return why
    ? { ...choice, audio: null, audioOff: `AAC audio is off: ${why}` }
    : { ...choice, audio: aac, audioOff: null };
}

function aacUnusable(track: RtspTrack): string | null {
  try {
    aacConfigFromFmtp(track.fmtp);
    return null;
  } catch (error) {
    return `${(error as Error).message} is not supported`;
  }
}

export class RtspClient {
  private challenge: AuthChallenge | null = null;
  private nonceCount = 0;
  private session: string | null = null;
  private sessionTimeoutS = 60;
  private publicMethods: string[] = [];
  private keepAlive: NodeJS.Timeout | undefined;
  private requireBackchannel: boolean;
  private readonly channels = new Map<number, RtspTrack>();
  readonly url: string;
  private readonly account?: RtspAccount;
  private readonly timeoutMs: number;

  private constructor(
    private readonly connection: RtspConnection,
    target: ReturnType<typeof splitTarget>,
    options: RtspClientOptions,
  ) {
    this.url = target.url;
    this.account = target.account;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.requireBackchannel = options.backchannel ?? false;
    connection.onClose(() => clearInterval(this.keepAlive));
  }

  static async connect(options: RtspClientOptions): Promise<RtspClient> {
    const target = splitTarget(options);
    const connection = await RtspConnection.open(target.host, target.port, options.timeoutMs ?? 5_000);
    return new RtspClient(connection, target, options);
  }

  get open(): boolean {
    return this.connection.isOpen;
  }

  /** Resolves when the connection drops (the camera went away or closed it). */
  onClose(listener: (error: Error) => void): void {
    this.connection.onClose(listener);
  }

  /** OPTIONS then DESCRIBE: the camera's tracks. */
  async describe(): Promise<RtspTrack[]> {
    const options = await this.request("OPTIONS", this.url);
    this.publicMethods = (header(options, "public") ?? "").split(",").map((m) => m.trim().toUpperCase());
    let reply = await this.request("DESCRIBE", this.url, { Accept: "application/sdp" });
    if (this.requireBackchannel && (reply.status === 551 || reply.status === 400)) {
      // No backchannel here: ask again for the plain stream.
      this.requireBackchannel = false;
      reply = await this.request("DESCRIBE", this.url, { Accept: "application/sdp" });
    }
    if (reply.status !== 200)
      throw new RtspError("no-stream", `DESCRIBE answered ${reply.status} ${reply.reason}`, reply.status);
    const base = header(reply, "content-base") ?? header(reply, "content-location") ?? this.url;
    return parseCameraSdp(reply.body, base);
  }

  /** SETUP of each track, interleaved on this connection, then PLAY. */
  async play(tracks: RtspTrack[]): Promise<void> {
    let channel = 0;
    for (const track of tracks) {
      const transport = `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1}`;
      const reply = await this.request("SETUP", track.controlUrl, { Transport: transport });
      if (reply.status !== 200)
        throw new RtspError("no-stream", `SETUP ${track.kind} answered ${reply.status} ${reply.reason}`, reply.status);
      this.readSession(reply);
      const granted = /interleaved=(\d+)/.exec(header(reply, "transport") ?? "");
      this.channels.set(granted ? Number(granted[1]) : channel, track);
      channel += 2;
    }
    // No Range: a live camera has nothing to seek, and GStreamer's server fails the PLAY if asked to.
    const reply = await this.request("PLAY", this.url);
    if (reply.status !== 200)
      throw new RtspError("no-stream", `PLAY answered ${reply.status} ${reply.reason}`, reply.status);
    this.startKeepAlive();
  }

  get backchannelGranted(): boolean {
    return this.requireBackchannel;
  }

  onRtp(listener: (track: RtspTrack, packet: Buffer) => void): void {
    this.connection.onInterleaved = (channel, packet) => {
      if (channel % 2 !== 0) return; // RTCP: the relay's own reports serve the viewers
      const track = this.channels.get(channel);
      if (track && !track.backchannel) listener(track, packet);
    };
  }

  /** An RTP packet to the camera's speaker, on the backchannel track's channel. */
  sendTo(track: RtspTrack, packet: Buffer): void {
    for (const [channel, candidate] of this.channels)
      if (candidate === track) return this.connection.sendInterleaved(channel, packet);
  }

  /** TEARDOWN (bounded: the camera may be gone) and close. */
  async close(): Promise<void> {
    clearInterval(this.keepAlive);
    if (this.session && this.connection.isOpen)
      await this.request("TEARDOWN", this.url, {}, 1_000).catch(() => undefined);
    this.connection.close();
  }

  private readSession(reply: RtspResponse): void {
    const value = header(reply, "session");
    if (!value) return;
    const [id, ...params] = value.split(";");
    this.session = id!.trim();
    const timeout = params.map((p) => /^\s*timeout=(\d+)/.exec(p)?.[1]).find(Boolean);
    if (timeout) this.sessionTimeoutS = Math.max(5, Number(timeout));
  }

  private startKeepAlive(): void {
    const method = this.publicMethods.includes("GET_PARAMETER") ? "GET_PARAMETER" : "OPTIONS";
    // Well within the session timeout, so one lost keep-alive is not the end of the session.
    this.keepAlive = setInterval(
      () => void this.request(method, this.url).catch(() => undefined),
      (this.sessionTimeoutS * 1000) / 3,
    );
    this.keepAlive.unref();
  }

  private async request(
    method: string,
    uri: string,
    extra: Record<string, string> = {},
    timeoutMs = this.timeoutMs,
  ): Promise<RtspResponse> {
    const send = () => this.connection.request(method, uri, this.headersFor(method, uri, extra), timeoutMs);
    let reply = await send();
    if (reply.status === 401) {
      const challenge = parseChallenges(reply.headers.get("www-authenticate") ?? []);
      const stale =
        challenge?.scheme === "digest" && /stale=true/i.test(reply.headers.get("www-authenticate")?.join() ?? "");
      if (!challenge || !this.account || (this.challenge && !stale))
        throw new RtspError("auth-failed", "the camera refused the account (401)", 401);
      this.challenge = challenge;
      this.nonceCount = 0;
      reply = await send();
      if (reply.status === 401) throw new RtspError("auth-failed", "the camera refused the account (401)", 401);
    }
    return reply;
  }

  private headersFor(method: string, uri: string, extra: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { ...extra };
    if (this.session) headers.Session = this.session;
    if (this.requireBackchannel && ["DESCRIBE", "SETUP", "PLAY"].includes(method))
      headers.Require = BACKCHANNEL_REQUIRE;
    if (this.challenge && this.account)
      headers.Authorization = authorizationHeader(this.challenge, this.account, method, uri, ++this.nonceCount);
    return headers;
  }
}
