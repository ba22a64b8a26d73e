// How the relay's werift peers are configured: one codec per kind, so that forwarding never needs
// transcoding, and optionally only some host addresses offered as ICE candidates.
import { RTCRtpCodecParameters, type RTCIceServer, type RTCPeerConnectionConfig } from "werift";

export interface RelayNetworkOptions {
  iceServers?: RTCIceServer[];
  /** Offer only these host addresses (e.g. ["127.0.0.1"] in tests, the public address on a server). */
  hostAddresses?: string[];
  /** UDP port range for ICE; werift needs min < max. */
  icePortRange?: [number, number];
  iceTransportPolicy?: "all" | "relay";
}

export function relayPeerConfig(network: RelayNetworkOptions): RTCPeerConnectionConfig {
  return {
    iceServers: network.iceServers ?? [],
    iceTransportPolicy: network.iceTransportPolicy ?? "all",
    icePortRange: network.icePortRange,
    codecs: {
      video: [new RTCRtpCodecParameters({
        mimeType: "video/VP8",
        clockRate: 90_000,
        rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }],
      })],
      audio: [new RTCRtpCodecParameters({
        mimeType: "audio/opus",
        clockRate: 48_000,
        channels: 2,
        parameters: "minptime=10;useinbandfec=1",
      })],
    },
    ...(network.hostAddresses?.length
      ? { iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: network.hostAddresses }
      : {}),
  };
}
