// Shared by the relay and the simulated camera, both werift peers that signal without trickle ICE.
import type { RTCPeerConnection } from "werift";

/** Waits until ICE gathering is complete, then returns the local SDP with every candidate in it. */
export async function gatheredLocalSdp(pc: RTCPeerConnection): Promise<string> {
  if (pc.iceGatheringState !== "complete") {
    await new Promise<void>((resolve) => {
      const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => {
        if (state === "complete") {
          unSubscribe();
          resolve();
        }
      });
    });
  }
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new Error("no local description");
  return sdp;
}
