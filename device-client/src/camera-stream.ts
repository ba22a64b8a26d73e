// The live-view stream as the device client sees it: a device supplies `startStream` (the simulator plays
// its clips, the bridge pulls the camera's RTSP), and the client starts and stops it when the gateway says so.
// Whatever the source, it publishes to the relay over WHIP (whip-client.ts) and answers with the session URL.
import type { RTCIceServer } from "werift";

export interface CameraStreamOptions {
  whipUrl: string;
  /** The one-time publish token from stream-start: a secret, never logged. */
  token: string;
  iceServers?: RTCIceServer[];
  /** Only these host addresses are offered as ICE candidates (tests use ["127.0.0.1"]). */
  hostAddresses?: string[];
  iceTransportPolicy?: "all" | "relay";
}

export interface CameraStreamStats {
  videoPacketsSent: number;
  audioPacketsSent: number;
  /** RTP bytes (header + payload) handed to the transport, before SRTP. */
  bytesSent: number;
  keyframeRequests: number;
  talkbackPacketsReceived: number;
  talkbackBytesReceived: number;
}

export interface CameraStream {
  /** The WHIP session's URL: what the stream-start answer carries. */
  readonly resourceUrl: string;
  connectionState(): string;
  stats(): CameraStreamStats;
  /** Ends the WHIP session (DELETE) and the peer connection; idempotent. */
  stop(): Promise<void>;
}

/** What a device supplies: start publishing now, resolve once the relay has the stream. */
export type StartStream = (options: CameraStreamOptions) => Promise<CameraStream>;

export const zeroStreamStats = (): CameraStreamStats => ({
  videoPacketsSent: 0,
  audioPacketsSent: 0,
  bytesSent: 0,
  keyframeRequests: 0,
  talkbackPacketsReceived: 0,
  talkbackBytesReceived: 0,
});
