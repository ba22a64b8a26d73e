// A WHEP viewer session. Each session starts with a grant (POST /api/v1/devices/<id>/view → a short-lived
// viewer token, the WHEP URL and ICE servers), then POSTs an SDP offer to the WHEP URL and gets the answer; the
// Location header names the session for ICE restarts by PATCH and leaving by DELETE. Video comes in only; audio is sendrecv from the
// start with no track, so holding the talk button swaps the microphone in without renegotiating.
// Recovery on a moving phone: ICE restart first (cheap, keeps the session), then a fresh POST with backoff.
// On a starved link it falls back to a new audio-only session: the voice of home matters more than the picture.

export type WhepState = "idle" | "connecting" | "live" | "reconnecting" | "failed" | "closed";
export type Quality = "good" | "fair" | "poor";
export type WhepProblem = "unavailable" | "forbidden" | "privacy" | "camera-offline" | "network" | "microphone";

export interface WhepEvents {
  onState(state: WhepState, problem?: WhepProblem): void;
  onStream(stream: MediaStream): void;
  onQuality(quality: Quality, kbps: number): void;
  onAudioOnly(audioOnly: boolean): void;
}

/** Permission to watch, asked for before each new session (viewer tokens are short-lived). */
export interface WhepGrant {
  url: string;
  token: string;
  iceServers: RTCIceServer[];
}

export interface WhepOptions {
  grant: () => Promise<WhepGrant>;
  /** Below this incoming bitrate (kbit/s) for `lowSamples` samples in a row, drop the video. */
  audioOnlyBelowKbps?: number;
  lowSamples?: number;
  fetch?: typeof fetch;
}

export class WhepError extends Error {
  constructor(readonly problem: WhepProblem, message: string, readonly retryable: boolean) {
    super(message);
  }
}

const repostBackoffMs = [1000, 2000, 4000, 8000, 15_000];

export class WhepViewer {
  private pc: RTCPeerConnection | null = null;
  private audioSender: RTCRtpSender | null = null;
  private sessionUrl: string | null = null;
  private current: WhepGrant | null = null;
  private microphone: MediaStreamTrack | null = null;
  private talking = false;
  private audioOnly = false;
  private closed = false;
  private attempts = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private lastBytes: { at: number; bytes: number } | null = null;
  private lowCount = 0;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: WhepOptions, private readonly events: WhepEvents) {
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
        const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
        this.microphone = stream.getAudioTracks()[0] ?? null;
      } catch {
        this.events.onState(this.pc ? "live" : "idle", "microphone");
        return;
      }
    }
    // Released while permission was being asked: stay silent.
    await this.audioSender?.replaceTrack(this.talking ? this.microphone : null);
  }

  /** Back to video after an audio-only fallback (the user asked, or the link recovered). */
  async retryVideo(): Promise<void> {
    this.setAudioOnly(false);
    await this.restartSession();
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    await this.leave();
    this.microphone?.stop();
    this.microphone = null;
    this.events.onState("closed");
  }

  private async connect(): Promise<void> {
    const grant = await this.options.grant();
    this.current = grant;
    const pc = new RTCPeerConnection({ iceServers: grant.iceServers, bundlePolicy: "max-bundle" });
    this.pc = pc;
    if (!this.audioOnly) pc.addTransceiver("video", { direction: "recvonly" });
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
      this.watchStats(pc);
    } else if (pc.connectionState === "disconnected") {
      // Often a blip (a lift, a tunnel): give ICE a moment to recover on its own before restarting it.
      this.events.onState("reconnecting");
      this.later(2500, () => pc === this.pc && pc.connectionState === "disconnected" && void this.restartIce(pc));
    } else if (pc.connectionState === "failed") {
      this.events.onState("reconnecting");
      void this.restartIce(pc);
    }
  }

  private async restartIce(pc: RTCPeerConnection): Promise<void> {
    try {
      if (!this.sessionUrl) throw new Error("no session to restart");
      await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
      await gathered(pc, 400);
      const reply = await this.send("PATCH", this.sessionUrl, pc.localDescription!.sdp);
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
    const delay = repostBackoffMs[Math.min(this.attempts++, repostBackoffMs.length - 1)]!;
    if (this.attempts > 8) return this.events.onState("failed", "network");
    this.events.onState("reconnecting");
    this.later(this.attempts === 1 ? 0 : delay, async () => {
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

  private watchStats(pc: RTCPeerConnection): void {
    clearInterval(this.statsTimer);
    this.lastBytes = null;
    this.lowCount = 0;
    this.statsTimer = setInterval(async () => {
      if (pc !== this.pc) return clearInterval(this.statsTimer);
      let bytes = 0;
      let available: number | null = null;
      (await pc.getStats()).forEach((report) => {
        if (report.type === "inbound-rtp") bytes += report.bytesReceived ?? 0;
        if (report.type === "candidate-pair" && report.nominated && typeof report.availableIncomingBitrate === "number") available = report.availableIncomingBitrate;
      });
      const now = performance.now();
      const kbps = this.lastBytes ? ((bytes - this.lastBytes.bytes) * 8) / (now - this.lastBytes.at) : 0;
      this.lastBytes = { at: now, bytes };
      const estimate = Math.min(kbps, available !== null ? available / 1000 : Infinity);
      const quality: Quality = estimate >= 400 ? "good" : estimate >= 150 ? "fair" : "poor";
      this.events.onQuality(quality, Math.round(kbps));
      this.lowCount = !this.audioOnly && estimate < (this.options.audioOnlyBelowKbps ?? 80) ? this.lowCount + 1 : 0;
      if (this.lowCount >= (this.options.lowSamples ?? 4)) {
        this.setAudioOnly(true);
        void this.restartSession();
      }
    }, 2000);
  }

  private setAudioOnly(on: boolean): void {
    if (this.audioOnly === on) return;
    this.audioOnly = on;
    this.events.onAudioOnly(on);
  }

  private async send(method: string, url: string, sdp?: string): Promise<Response> {
    try {
      return await this.doFetch(url, {
        method, body: sdp,
        headers: { authorization: `Bearer ${this.current?.token ?? ""}`, ...(sdp ? { "content-type": "application/sdp" } : {}) },
      });
    } catch {
      throw new WhepError("network", "network unreachable", true);
    }
  }

  private async leave(): Promise<void> {
    clearInterval(this.statsTimer);
    const url = this.sessionUrl;
    this.sessionUrl = null;
    this.pc?.close();
    this.pc = null;
    this.audioSender = null;
    // keepalive: this also runs while the page is closing.
    if (url) await this.doFetch(url, { method: "DELETE", headers: { authorization: `Bearer ${this.current?.token ?? ""}` }, keepalive: true }).catch(() => {});
  }

  private later(ms: number, run: () => unknown): void {
    const timer = setTimeout(() => { this.timers.delete(timer); run(); }, ms);
    this.timers.add(timer);
  }

  private clearTimers(): void {
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }
}

async function problemOf(reply: Response): Promise<WhepError> {
  const body = (await reply.json().catch(() => ({}))) as { error?: string; message?: string };
  const message = body.message ?? `HTTP ${reply.status}`;
  if (reply.status === 404 && (!body.error || body.error === "not-found")) return new WhepError("unavailable", message, false);
  if (reply.status === 401 || reply.status === 403) return new WhepError("forbidden", message, false);
  if (body.error === "camera-offline" || reply.status === 409) return new WhepError("camera-offline", message, false);
  return new WhepError("network", message, true);
}

/** Non-trickle ICE: wait for candidates, but never long (host candidates come in milliseconds). */
function gathered(pc: RTCPeerConnection, capMs: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => pc.iceGatheringState === "complete" && done();
    const timer = setTimeout(done, capMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}
