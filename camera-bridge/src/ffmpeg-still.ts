// A still cut from the stream, for cameras without a snapshot URI: ffmpeg reads one frame over RTSP/TCP and
// writes a JPEG. ffmpeg is optional on the bridge (a Pi image may not have it): without it, such a camera
// answers take-snapshot with a clear error instead.
import { spawn } from "node:child_process";
import type { Account } from "./digest-auth.ts";

export function frameFromStream(rtspUrl: string, account: Account | undefined, timeoutMs = 15_000): Promise<Buffer> {
  const url = new URL(rtspUrl);
  if (account && !url.username) {
    url.username = encodeURIComponent(account.username);
    url.password = encodeURIComponent(account.password);
  }
  const args = ["-v", "error", "-rtsp_transport", "tcp", "-i", url.toString(), "-frames:v", "1", "-f", "image2"];
  return new Promise((resolve, reject) => {
    const child = spawn("ffmpeg", [...args, "-c:v", "mjpeg", "pipe:1"], { stdio: ["ignore", "pipe", "ignore"] });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
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
}
