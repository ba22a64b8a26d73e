// The publishing peer every device opens to the relay: its network settings (ICE servers and policy, the host
// addresses it may offer) with the codecs the device sends, and the wait for it to connect.
import type { RTCPeerConnection, RTCPeerConnectionConfig } from "werift";
import type { CameraStreamOptions } from "./camera-stream.ts";

export function publisherConfig(
  options: Pick<CameraStreamOptions, "iceServers" | "hostAddresses" | "iceTransportPolicy">,
  codecs: RTCPeerConnectionConfig["codecs"],
): Partial<RTCPeerConnectionConfig> {
  return {
    iceServers: options.iceServers ?? [],
    iceTransportPolicy: options.iceTransportPolicy ?? "all",
    codecs,
    ...(options.hostAddresses?.length
      ? { iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: options.hostAddresses }
      : {}),
  };
}

export function waitConnected(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pc.connectionState === "connected") return resolve();
    const timer = setTimeout(() => {
      unSubscribe();
      reject(new Error(`WebRTC to the relay not connected after ${timeoutMs} ms (${pc.connectionState})`));
    }, timeoutMs);
    const { unSubscribe } = pc.connectionStateChange.subscribe((state) => {
      if (state !== "connected" && state !== "failed" && state !== "closed") return;
      clearTimeout(timer);
      unSubscribe();
      if (state === "connected") resolve();
      else reject(new Error(`WebRTC to the relay ${state}`));
    });
  });
}
