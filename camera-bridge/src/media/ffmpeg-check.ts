// Whether the box's ffmpeg can turn AAC into Opus (and so decode Opus for talk-back, and cut stills): asked once
// per binary with `ffmpeg -encoders`. Kept apart from the transcoders so the health check loads no WebRTC code.
import { spawn } from "node:child_process";

const transcoderChecks = new Map<string, Promise<string | null>>();
export const FFMPEG_NOT_INSTALLED = "ffmpeg is not installed";

/** null when `ffmpeg` can encode Opus; otherwise why AAC audio is off. */
export function aacTranscoderMissing(ffmpeg = "ffmpeg"): Promise<string | null> {
  let check = transcoderChecks.get(ffmpeg);
  if (!check) {
    check = new Promise((resolve) => {
      const child = spawn(ffmpeg, ["-hide_banner", "-encoders"], { stdio: ["ignore", "pipe", "ignore"] });
      let listing = "";
      child.stdout.on("data", (chunk: Buffer) => (listing += chunk.toString()));
      child.once("error", () => resolve(FFMPEG_NOT_INSTALLED));
      child.once("close", () => resolve(/\blibopus\b/.test(listing) ? null : "ffmpeg has no Opus encoder (libopus)"));
    });
    transcoderChecks.set(ffmpeg, check);
  }
  return check;
}
