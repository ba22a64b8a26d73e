// What the camera's WebRTC audio section carries, decided once from its RTSP tracks (the probe reports the same
// talk-back the stream will give): G.711 as the camera sends it, AAC as Opus; talk-back wherever the camera has a
// G.711 backchannel (the bridge converts A-law ↔ µ-law, and decodes viewers' Opus when the camera sends AAC).
import type { G711 } from "./g711.ts";
import { AAC, type RtspTracks } from "./rtsp-client.ts";

export interface AudioPlan {
  codec: G711 | "OPUS";
  direction: "sendrecv" | "sendonly" | "recvonly";
}

export function audioPlan({ audio, talkback }: Pick<RtspTracks, "audio" | "talkback">): AudioPlan | null {
  const sent = audio ? (audio.codec === AAC ? "OPUS" : (audio.codec as G711)) : null;
  // Viewers send in the section's codec: G.711 of the other law is converted, Opus decoded (talkback.ts).
  if (sent && talkback) return { codec: sent, direction: "sendrecv" };
  if (sent) return { codec: sent, direction: "sendonly" };
  if (talkback) return { codec: talkback.codec as G711, direction: "recvonly" };
  return null;
}

/** Talking to the camera works: the section receives, and the backchannel plays it. */
export function talksBack(plan: AudioPlan | null): boolean {
  return plan?.direction === "sendrecv" || plan?.direction === "recvonly";
}
