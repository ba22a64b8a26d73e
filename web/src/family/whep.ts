// A WHEP viewer session. A grant (POST /api/v1/devices/<id>/view → viewer token, WHEP URL, ICE servers) is
// asked for first and reused until it nears expiry; then the SDP offer is POSTed to the WHEP URL and the answer
// comes back with a Location naming the session (DELETE to leave). Video comes in only; audio is sendrecv from
// the start with no track, so holding the talk button swaps the microphone in without renegotiating.
// Recovery on a moving phone: an ICE restart by PATCH where the relay offers it, else (and on any failure) a
// new session by POST, with backoff. A starved downlink is the relay's call: it pauses this viewer's video and
// keeps the sound; we notice frames stop while sound arrives and say "audio only" until pictures return.

export type WhepState = "idle" | "connecting" | "live" | "reconnecting" | "failed" | "closed";
export type Quality = "good" | "fair" | "poor";
export type WhepProblem =
  "unavailable" | "forbidden" | "privacy" | "camera-offline" | "call-window" | "network" | "microphone";

export interface WhepEvents {
  onState(state: WhepState, problem?: WhepProblem): void;
  onStream(stream: MediaStream): void;
  onQuality(quality: Quality, kbps: number): void;
  onAudioOnly(audioOnly: boolean): void;
}

/** Permission to watch one camera for a while. */
export interface WhepGrant {
  url: string;
  token: string;
  iceServers: RTCIceServer[];
  expiresAt: string;
}

export interface WhepOptions {
  grant: () => Promise<WhepGrant>;
  fetch?: typeof fetch;
}

export class WhepError extends Error {
  constructor(
    readonly problem: WhepProblem,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const repostBackoffMs = [500, 1000, 2000, 4000, 8000, 15_000];
const maxAttempts = 10;
/** The camera's Opus never stops (it sends even in silence): nothing at all this long means the path is gone. */
const mediaSilenceMs = 3000;
/** Pictures stopped while sound goes on this long: the relay has paused our video. */
const audioOnlyAfterMs = 1500;

interface Sample {
  at: number;
  frames: number;
  audio: number;
  video: number;
  bytes: number;
  silentSince: number | null;
  stalledSince: number | null;
}

export class WhepViewer {
  private pc: RTCPeerConnection | null = null;
  private audioSender: RTCRtpSender | null = null;
  private sessionUrl: string | null = null;
  private current: WhepGrant | null = null;
  private patchWorks = true;
  private microphone: MediaStreamTrack | null = null;
  private talking = false;
  private audioOnly = false;
  private closed = false;
  private attempts = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private readonly doFetch: typeof fetch;

  constructor(
    private readonly options: WhepOptions,
    private readonly events: WhepEvents,
  ) {
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async start(): Promise<void> {
    this.closed = false;
    this.events.onState("connecting");
    try {
      await this.connect();
    } catch (error) {
      this.handleFailure(error);
    }
  }

  /** Hold-to-talk: the microphone track goes on the already negotiated audio sender, or comes off it. */
  async setTalking(on: boolean): Promise<void> {
    this.talking = on;
    if (on && !this.microphone) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        });
        this.microphone = stream.getAudioTracks()[0] ?? null;
      } catch {
        this.events.onState(this.pc ? "live" : "idle", "microphone");
        return;
      }
    }
    // Released while permission was being asked: stay silent.
    await this.audioSender?.replaceTrack(this.talking ? this.microphone : null);
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    await this.leave();
    this.microphone?.stop();
    this.microphone = null;
    this.events.onState("closed");
  }

  /** The grant to use, and whether it was just issued (a refusal of a fresh token is final). */
  private async grant(): Promise<{ grant: WhepGrant; fresh: boolean }> {
    if (this.current && Date.parse(this.current.expiresAt) - Date.now() > 60_000)
      return { grant: this.current, fresh: false };
    this.current = await this.options.grant();
    return { grant: this.current, fresh: true };
  }

  private async connect(): Promise<void> {
    const { grant, fresh } = await this.grant();
    const pc = new RTCPeerConnection({ iceServers: grant.iceServers, bundlePolicy: "max-bundle" });
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    this.audioSender = pc.addTransceiver("audio", { direction: "sendrecv" }).sender;
    if (this.talking && this.microphone) await this.audioSender.replaceTrack(this.microphone);
    const stream = new MediaStream();
    pc.ontrack = (event) => {
      stream.addTrack(event.track);
      this.events.onStream(stream);
    };
    pc.onconnectionstatechange = () => this.onConnectionState(pc);
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 400);
    const reply = await this.send("POST", grant.url, pc.localDescription!.sdp);
    if (refusedToken(await codeOf(reply))) {
      // A token that has lost its rights (expired, revoked): one more try with a new grant, then give up.
      this.current = null;
      if (fresh) throw new WhepError("forbidden", "the relay refused a new viewer token", false);
    }
    if (reply.status !== 201) throw await problemOf(reply);
    const location = reply.headers.get("location");
    this.sessionUrl = location ? new URL(location, new URL(grant.url, globalThis.location?.href)).toString() : null;
    await pc.setRemoteDescription({ type: "answer", sdp: await reply.text() });
  }

  private onConnectionState(pc: RTCPeerConnection): void {
    if (pc !== this.pc || this.closed) return;
    if (pc.connectionState === "connected") {
      this.attempts = 0;
      this.events.onState("live");
      this.watchMedia(pc);
    } else if (pc.connectionState === "disconnected") {
      // Often a blip (a lift, a tunnel): give ICE a moment to recover on its own.
      this.events.onState("reconnecting");
      this.later(2000, () => pc === this.pc && pc.connectionState === "disconnected" && void this.recover(pc));
    } else if (pc.connectionState === "failed") {
      this.events.onState("reconnecting");
      void this.recover(pc);
    }
  }

  /** ICE restart keeps the session (and the relay's state for us); a relay without PATCH gets a new session. */
  private async recover(pc: RTCPeerConnection): Promise<void> {
    if (!this.patchWorks || !this.sessionUrl) return this.restartSession();
    try {
      await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
      await gathered(pc, 400);
      const reply = await this.send("PATCH", this.sessionUrl, pc.localDescription!.sdp);
      if (reply.status === 404 || reply.status === 405) this.patchWorks = false;
      if (reply.status !== 200) throw await problemOf(reply);
      await pc.setRemoteDescription({ type: "answer", sdp: await reply.text() });
    } catch {
      await this.restartSession();
    }
  }

  /** A whole new session: leave the old one and POST again, with backoff between failures. */
  private async restartSession(): Promise<void> {
    if (this.closed) return;
    await this.leave();
    if (this.attempts >= maxAttempts) return this.events.onState("failed", "network");
    const base = repostBackoffMs[Math.min(this.attempts, repostBackoffMs.length - 1)]!;
    this.attempts += 1;
    this.events.onState("reconnecting");
    // Jitter: a village's phones that lost the same cell should not all come back in the same instant.
    this.later(this.attempts === 1 ? 0 : base * (0.75 + Math.random() * 0.5), async () => {
      try {
        await this.connect();
      } catch (error) {
        this.handleFailure(error);
      }
    });
  }

  private handleFailure(error: unknown): void {
    if (this.closed) return;
    if (error instanceof WhepError && !error.retryable) {
      void this.leave();
      this.events.onState("failed", error.problem);
      return;
    }
    void this.restartSession();
  }

  /** Once a second: bitrate for the quality hint, pictures stalled (audio only), or no media at all (gone). */
  private watchMedia(pc: RTCPeerConnection): void {
    clearInterval(this.statsTimer);
    let last: Sample | null = null;
    this.statsTimer = setInterval(async () => {
      if (pc !== this.pc) return clearInterval(this.statsTimer);
      const now: Sample = {
        at: performance.now(),
        frames: 0,
        audio: 0,
        video: 0,
        bytes: 0,
        silentSince: null,
        stalledSince: null,
      };
      (await pc.getStats()).forEach((report) => {
        if (report.type !== "inbound-rtp") return;
        now.bytes += report.bytesReceived ?? 0;
        if (report.kind === "video") {
          now.frames = report.framesDecoded ?? 0;
          now.video = report.packetsReceived ?? 0;
        }
        if (report.kind === "audio") now.audio = report.packetsReceived ?? 0;
      });
      if (last) {
        const silent = now.audio === last.audio && now.video === last.video;
        now.silentSince = silent ? (last.silentSince ?? last.at) : null;
        if (now.silentSince !== null && now.at - now.silentSince >= mediaSilenceMs) {
          this.events.onState("reconnecting");
          return void this.restartSession();
        }
        const stalled = now.frames === last.frames && now.audio > last.audio;
        now.stalledSince = stalled ? (last.stalledSince ?? last.at) : null;
        this.setAudioOnly(now.stalledSince !== null && now.at - now.stalledSince >= audioOnlyAfterMs);
        const kbps = ((now.bytes - last.bytes) * 8) / (now.at - last.at);
        this.events.onQuality(this.audioOnly || kbps < 150 ? "poor" : kbps < 400 ? "fair" : "good", Math.round(kbps));
      }
      last = now;
    }, 1000);
  }

  private setAudioOnly(on: boolean): void {
    if (this.audioOnly === on) return;
    this.audioOnly = on;
    this.events.onAudioOnly(on);
  }

  private async send(method: string, url: string, sdp?: string): Promise<Response> {
    try {
      return await this.doFetch(url, {
        method,
        body: sdp,
        headers: {
          authorization: `Bearer ${this.current?.token ?? ""}`,
          ...(sdp ? { "content-type": "application/sdp" } : {}),
        },
      });
    } catch {
      throw new WhepError("network", "network unreachable", true);
    }
  }

  private async leave(): Promise<void> {
    clearInterval(this.statsTimer);
    this.setAudioOnly(false);
    const url = this.sessionUrl;
    this.sessionUrl = null;
    this.pc?.close();
    this.pc = null;
    this.audioSender = null;
    // keepalive: this also runs while the page is closing.
    if (url)
      await this.doFetch(url, {
        method: "DELETE",
        headers: { authorization: `Bearer ${this.current?.token ?? ""}` },
        keepalive: true,
      }).catch(() => {});
  }

  private later(ms: number, run: () => unknown): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }

  private clearTimers(): void {
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }
}

/** The reply's error code; a body without one (a proxy's page) is named by its status, as `http-<status>`. */
async function codeOf(reply: Response): Promise<string> {
  const body = (await reply
    .clone()
    .json()
    .catch(() => ({}))) as { error?: string };
  return body.error ?? `http-${reply.status}`;
}

const refusedToken = (code: string) => ["unauthorized", "forbidden", "http-401", "http-403"].includes(code);

async function problemOf(reply: Response): Promise<WhepError> {
  const body = (await reply.json().catch(() => ({}))) as { error?: string; message?: string };
  const message = body.message ?? `HTTP ${reply.status}`;
  const code = body.error ?? `http-${reply.status}`;
  if (code === "not-found" || code === "http-404") return new WhepError("unavailable", message, false);
  if (code === "call-window") return new WhepError("call-window", message, false);
  if (refusedToken(code)) return new WhepError("forbidden", message, true); // see connect()
  if (cameraNotStreaming.includes(code)) return new WhepError("camera-offline", message, false);
  return new WhepError("network", message, true);
}

/** The relay and the gateway's WHEP routes say so when the camera cannot stream (409 in the catalogue). */
const cameraNotStreaming = ["camera-offline", "camera-not-claimed", "http-409"];

/** Non-trickle ICE: wait for candidates, but never long (host candidates come in milliseconds). */
function gathered(pc: RTCPeerConnection, capMs: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => pc.iceGatheringState === "complete" && done();
    const timer = setTimeout(done, capMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}
