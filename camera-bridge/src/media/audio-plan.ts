// What the camera's WebRTC audio section carries, decided once from its RTSP tracks (the probe reports the same
// talk-back the stream will give): G.711 as the camera sends it, AAC as Opus; talk-back where the camera has a
// G.711 backchannel and viewers can be asked for G.711 (either law: the bridge converts A-law and µ-law).
import type { G711 } from "./g711.ts";
import { AAC, type RtspTracks } from "./rtsp-client.ts";

export interface AudioPlan {
  codec: G711 | "OPUS";
  direction: "sendrecv" | "sendonly" | "recvonly";
}

export function audioPlan({ audio, talkback }: Pick<RtspTracks, "audio" | "talkback">): AudioPlan | null {
  const sent = audio ? (audio.codec === AAC ? "OPUS" : (audio.codec as G711)) : null;
  // A viewer sends in the section's codec: Opus would have to be decoded for a G.711 speaker (not done yet).
  if (sent && talkback && sent !== "OPUS") return { codec: sent, direction: "sendrecv" };
  if (sent) return { codec: sent, direction: "sendonly" };
  if (talkback) return { codec: talkback.codec as G711, direction: "recvonly" };
  return null;
}

/** Talking to the camera works: the section receives, and the backchannel plays it. */
export function talksBack(plan: AudioPlan | null): boolean {
  return plan?.direction === "sendrecv" || plan?.direction === "recvonly";
}
