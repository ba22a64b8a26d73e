// Starts and stops the test IP camera (rtsp-camera-server.py: GStreamer's ONVIF RTSP server, H.264 + PCMA, PCMU
// or AAC, an audio backchannel in either G.711 law, digest auth) as a child process, and collects what it reports on stdout.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { toolInstalled } from "./tools.ts";

/** Debian's own python3 has the gi bindings; a version-managed python earlier on PATH usually does not. */
export const SYSTEM_PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./rtsp-camera-server.py", import.meta.url));

export interface RtspCameraOptions {
  user?: string;
  password?: string;
  /** 0 (default): any free port. A restarted camera passes its previous port. */
  port?: number;
  /** Seconds between keyframes. */
  gop?: number;
  fps?: number;
  width?: number;
  height?: number;
  bitrateKbps?: number;
  /** false: none; default "pcma". "aac": AAC LC 16 kHz as RTP MPEG4-GENERIC (GStreamer's voaacenc). */
  audio?: boolean | "pcma" | "pcmu" | "aac";
  backchannel?: boolean;
  /** The G.711 law the backchannel takes (default "pcma"). */
  backchannelLaw?: "pcma" | "pcmu";
  /** The encoder runs whether or not anybody pulls (a new session joins mid-GOP); no backchannel then. */
  alwaysOn?: boolean;
  /** The encoder codes an IDR when asked (requestKeyframe, which the test ONVIF device calls on SetSynchronizationPoint). */
  honoursKeyframeRequests?: boolean;
}

export interface BackchannelReading {
  buffers: number;
  bytes: number;
  /** Loudness of the decoded talk-back audio (16-bit RMS): silence is ~0. */
  rms: number;
  /** Share of near-silent samples (|s| < 100): talk-back in the wrong G.711 law turns silence into noise. */
  quiet: number;
}

export interface RtspCamera {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** rtsp://127.0.0.1:port/camera, without credentials. */
  readonly url: string;
  readonly pid: number;
  clientsConnected(): number;
  clientsClosed(): number;
  backchannel(): BackchannelReading;
  /** Asks the camera's encoder for a keyframe, as SetSynchronizationPoint does; honoured with `honoursKeyframeRequests`. */
  requestKeyframe(): void;
  /** Keyframe requests the camera has read, and how many it honoured. */
  keyframeRequests(): { received: number; honoured: number };
  /** SIGKILL, as a camera losing power. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export function hasRtspCameraServer(): boolean {
  return toolInstalled("gst-rtsp-server");
}

function argsFor(options: RtspCameraOptions, user: string, password: string): string[] {
  const args = [SCRIPT, "--user", user, "--password", password, "--port", String(options.port ?? 0)];
  if (options.gop !== undefined) args.push("--gop", String(options.gop));
  if (options.fps !== undefined) args.push("--fps", String(options.fps));
  if (options.width !== undefined) args.push("--width", String(options.width));
  if (options.height !== undefined) args.push("--height", String(options.height));
  if (options.bitrateKbps !== undefined) args.push("--bitrate", String(options.bitrateKbps));
  if (options.audio === false) args.push("--no-audio");
  else if (typeof options.audio === "string") args.push("--audio", options.audio);
  if (options.backchannelLaw) args.push("--backchannel-law", options.backchannelLaw);
  if (options.backchannel === false) args.push("--no-backchannel");
  if (options.alwaysOn) args.push("--always-on");
  if (options.honoursKeyframeRequests) args.push("--honour-keyframe-requests");
  return args;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startRtspCamera(options: RtspCameraOptions = {}): Promise<RtspCamera> {
  const user = options.user ?? "admin";
  const password = options.password ?? "camera-secret";
  // stdin stays open: the server quits when it closes, so a test runner that dies takes the camera with it.
  const child = spawn(SYSTEM_PYTHON, argsFor(options, user, password), { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const state = {
    connected: 0,
    closed: 0,
    backchannel: { buffers: 0, bytes: 0, rms: 0, quiet: 0 } as BackchannelReading,
    keyframeRequests: { received: 0, honoured: 0 },
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`test camera did not start: ${stderr}`)), 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`test camera exited (${code}) before listening: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const event = JSON.parse(line) as {
        event: string;
        port?: number;
        honoured?: boolean;
      } & Partial<BackchannelReading>;
      if (event.event === "listening") {
        clearTimeout(timer);
        resolve(event.port!);
      } else if (event.event === "client-connected") state.connected++;
      else if (event.event === "client-closed") state.closed++;
      else if (event.event === "keyframe-request") {
        state.keyframeRequests.received++;
        if (event.honoured) state.keyframeRequests.honoured++;
      } else if (event.event === "backchannel")
        state.backchannel = { buffers: event.buffers!, bytes: event.bytes!, rms: event.rms!, quiet: event.quiet! };
    });
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited(child);
  };
  return {
    port,
    user,
    password,
    url: `rtsp://127.0.0.1:${port}/camera`,
    pid: child.pid!,
    clientsConnected: () => state.connected,
    clientsClosed: () => state.closed,
    backchannel: () => ({ ...state.backchannel }),
    requestKeyframe: () => void child.stdin!.write("keyframe\n"),
    keyframeRequests: () => ({ ...state.keyframeRequests }),
    kill: () => end("SIGKILL"),
    stop: () => end("SIGTERM"),
  };
}
