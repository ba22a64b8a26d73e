// Is the camera there, does it take our account, and does it have a stream the bridge can pass through?
// OPTIONS + DESCRIBE only: no media flows, so a health check costs the camera next to nothing.
import { aacTranscoderMissing } from "./ffmpeg-check.ts";
import { audioPlan, talksBack } from "./audio-plan.ts";
import type { RtspAccount } from "./rtsp-auth.ts";
import { chooseTracks, RtspClient } from "./rtsp-client.ts";
import { RtspError } from "./rtsp-connection.ts";

export type RtspProbeResult = "ok" | "unreachable" | "auth-failed" | "no-stream";

export interface RtspProbe {
  result: RtspProbeResult;
  /** Why, in a sentence for logs (never the password). */
  detail: string;
  /** The camera's ONVIF audio backchannel is there and the bridge can feed it (talk-back possible). */
  talkback: boolean;
  /** Why the camera's audio will not reach viewers (an AAC camera on a box without ffmpeg); null if it will. */
  audioOff: string | null;
}

export interface ProbeOptions {
  timeoutMs?: number;
  /** The ffmpeg that would turn AAC into Opus (default: ffmpeg on PATH). */
  ffmpeg?: string;
}

export async function probeRtsp(url: string, account?: RtspAccount, options: ProbeOptions = {}): Promise<RtspProbe> {
  let client: RtspClient | undefined;
  try {
    client = await RtspClient.connect({ url, account, backchannel: true, timeoutMs: options.timeoutMs ?? 5_000 });
    const described = await client.describe();
    const tracks = chooseTracks(described, await aacTranscoderMissing(options.ffmpeg));
    const audio = tracks.audio
      ? ` + ${tracks.audio.codec === "MPEG4-GENERIC" ? "AAC (as Opus)" : tracks.audio.codec}`
      : "";
    const off = tracks.audioOff ? `; ${tracks.audioOff}` : "";
    return {
      result: "ok",
      detail: `H.264${audio}${off}`,
      talkback: talksBack(audioPlan(tracks)),
      audioOff: tracks.audioOff,
    };
  } catch (error) {
    const failure = { talkback: false, audioOff: null };
    if (error instanceof RtspError) {
      const result = error.failure === "protocol" ? "no-stream" : error.failure;
      return { result, detail: error.message, ...failure };
    }
    return { result: "unreachable", detail: (error as Error).message, ...failure };
  } finally {
    await client?.close();
  }
}
