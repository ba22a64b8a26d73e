// A still cut from the stream, for cameras without a snapshot URI: the bridge pulls the RTSP stream itself (its
// own client, the camera's account in its memory only), takes the next keyframe and hands it to ffmpeg on stdin
// as an H.264 elementary stream; ffmpeg decodes that one picture to a JPEG. ffmpeg never sees the camera's URL
// or password, so `ps` on the box shows none. ffmpeg is optional on the bridge (a Pi image may not have it):
// without it, such a camera answers take-snapshot with a clear error instead.
import { spawn } from "node:child_process";
import type { Account } from "./digest-auth.ts";
import { aacTranscoderMissing, FFMPEG_NOT_INSTALLED } from "./media/ffmpeg-check.ts";
import { RtspFeed, type FeedListener } from "./media/rtsp-feed.ts";
import { keyframeAnnexB } from "./media/h264-rtp.ts";
import type { ForwardedPacket } from "./media/rtp-forwarder.ts";

/** Everything ffmpeg is told: read H.264 from stdin, write one JPEG to stdout. No URL, no account. */
export const STILL_FFMPEG_ARGS = [
  ...["-v", "error", "-f", "h264", "-i", "pipe:0"],
  ...["-frames:v", "1", "-f", "image2", "-c:v", "mjpeg", "pipe:1"],
];

export interface StillOptions {
  timeoutMs?: number;
  ffmpeg?: string;
  /** The ffmpeg child is running (its pid): what anyone on the box could read of it, tests check. */
  onEncoderStarted?(pid: number): void;
}

export async function frameFromStream(rtspUrl: string, account: Account | undefined, options: StillOptions = {}) {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const ffmpeg = options.ffmpeg ?? "ffmpeg";
  if ((await aacTranscoderMissing(ffmpeg)) === FFMPEG_NOT_INSTALLED)
    throw new Error("no snapshot URI, and ffmpeg is not installed");
  // Started first: it waits on stdin while the camera's next keyframe comes.
  const encoder = jpegEncoder(ffmpeg, timeoutMs);
  if (encoder.pid !== undefined) options.onEncoderStarted?.(encoder.pid);
  try {
    const keyframe = await nextKeyframe(rtspUrl, account, timeoutMs);
    encoder.write(keyframe);
  } catch (error) {
    encoder.abort();
    await encoder.jpeg.catch(() => undefined);
    throw error;
  }
  return encoder.jpeg;
}

/** The camera's next keyframe (with its SPS and PPS) as Annex B, from a pull of its own. */
async function nextKeyframe(rtspUrl: string, account: Account | undefined, timeoutMs: number): Promise<Buffer> {
  const feed = new RtspFeed({ url: rtspUrl, account, videoOnly: true, timeoutMs: Math.min(timeoutMs, 5_000) });
  let resolveFrame!: (packets: ForwardedPacket[]) => void;
  const frame = new Promise<ForwardedPacket[]>((resolve) => (resolveFrame = resolve));
  const collected: ForwardedPacket[] = [];
  const listener: FeedListener = {
    onPacket(kind, forwarded) {
      if (kind !== "video" || (collected.length === 0 && !forwarded.keyframeStart)) return;
      collected.push(forwarded);
      if (forwarded.packet.header.marker) resolveFrame(collected);
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no keyframe from the stream in time")), timeoutMs);
  });
  try {
    await Promise.race([feed.acquire(listener), timeout]);
    return keyframeAnnexB((await Promise.race([frame, timeout])).map((f) => f.packet.payload));
  } finally {
    clearTimeout(timer);
    await feed.release(listener);
  }
}

function jpegEncoder(ffmpeg: string, timeoutMs: number) {
  const child = spawn(ffmpeg, STILL_FFMPEG_ARGS, { stdio: ["pipe", "pipe", "ignore"] });
  const chunks: Buffer[] = [];
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 2_000);
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  child.stdin.on("error", () => {}); // ffmpeg gone: its exit says why
  const jpeg = new Promise<Buffer>((resolve, reject) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(error.code === "ENOENT" ? "no snapshot URI, and ffmpeg is not installed" : error.message));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      if (code === 0 && chunks.length > 0) resolve(Buffer.concat(chunks));
      else reject(new Error(`no frame from the stream (ffmpeg exit ${code})`));
    });
  });
  return {
    jpeg,
    pid: child.pid,
    write: (annexB: Buffer) => child.stdin.end(annexB),
    abort: () => child.kill("SIGKILL"),
  };
}
