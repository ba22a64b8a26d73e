// Is the camera there, does it take our account, and does it have a stream the bridge can pass through?
// OPTIONS + DESCRIBE only: no media flows, so a health check costs the camera next to nothing.
import type { RtspAccount } from "./rtsp-auth.ts";
import { chooseTracks, RtspClient } from "./rtsp-client.ts";
import { RtspError } from "./rtsp-connection.ts";

export type RtspProbeResult = "ok" | "unreachable" | "auth-failed" | "no-stream";

export interface RtspProbe {
  result: RtspProbeResult;
  /** Why, in a sentence for logs (never the password). */
  detail: string;
  /** The camera's ONVIF audio backchannel is there (talk-back possible). */
  talkback: boolean;
}

export async function probeRtsp(url: string, account?: RtspAccount, timeoutMs = 5_000): Promise<RtspProbe> {
  let client: RtspClient | undefined;
  try {
    client = await RtspClient.connect({ url, account, backchannel: true, timeoutMs });
    const tracks = chooseTracks(await client.describe());
    const audio = tracks.audio ? ` + ${tracks.audio.codec}` : "";
    return { result: "ok", detail: `H.264${audio}`, talkback: tracks.talkback !== null };
  } catch (error) {
    if (error instanceof RtspError) {
      const result = error.failure === "protocol" ? "no-stream" : error.failure;
      return { result, detail: error.message, talkback: false };
    }
    return { result: "unreachable", detail: (error as Error).message, talkback: false };
  } finally {
    await client?.close();
  }
}
