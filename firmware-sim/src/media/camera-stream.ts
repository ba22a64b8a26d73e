// The simulated camera's media side: publishes the looping clips to the relay over WebRTC (WHIP) and
// plays nothing but counts the family's talk-back audio that arrives on the same audio transceiver.
import {
  MediaStreamTrack,
  RTCPeerConnection,
  useOPUS,
  useVP8,
  type RTCPeerConnectionConfig,
  type RtpPacket,
} from "werift";
import { startClipSource, type ClipSource } from "./clip-source.ts";
import { gatheredLocalSdp } from "../../../core/webrtc.ts";
import { whipDelete, whipPost } from "../../../device-client/src/whip-client.ts";
import { publisherConfig, waitConnected } from "../../../device-client/src/publisher-peer.ts";
import {
  zeroStreamStats,
  type CameraStream,
  type CameraStreamOptions as DeviceStreamOptions,
  type CameraStreamStats,
} from "../../../device-client/src/camera-stream.ts";

export type { CameraStream, CameraStreamStats };

/** The device client's stream options, and the clips this simulated camera plays. */
export interface CameraStreamOptions extends DeviceStreamOptions {
  videoClip?: string;
  audioClip?: string;
  /** Called as each video frame leaves (its RTP timestamp): benchmarks measure glass-to-glass from it. */
  onVideoFrameSent?: (rtpTimestamp: number, sentAtEpochMs: number) => void;
}

/** The simulator's publishing peer: VP8 and Opus, as its clips are encoded. */
export function cameraPeerConfig(
  options: Pick<CameraStreamOptions, "iceServers" | "hostAddresses" | "iceTransportPolicy">,
): Partial<RTCPeerConnectionConfig> {
  return publisherConfig(options, { video: [useVP8({ payloadType: 96 })], audio: [useOPUS({ payloadType: 111 })] });
}

export async function startCameraStream(options: CameraStreamOptions): Promise<CameraStream> {
  const pc = new RTCPeerConnection(cameraPeerConfig(options));
  const videoTrack = new MediaStreamTrack({ kind: "video" });
  const audioTrack = new MediaStreamTrack({ kind: "audio" });
  const video = pc.addTransceiver(videoTrack, { direction: "sendonly" });
  const audio = pc.addTransceiver(audioTrack, { direction: "sendrecv" });

  const counters: CameraStreamStats = zeroStreamStats();
  audio.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      counters.talkbackPacketsReceived++;
      counters.talkbackBytesReceived += rtp.payload.length;
    });
  });

  let source: ClipSource | undefined;
  video.sender.onPictureLossIndication.subscribe(() => {
    counters.keyframeRequests++;
    source?.requestKeyframe();
  });

  await pc.setLocalDescription(await pc.createOffer());
  const offer = await gatheredLocalSdp(pc);
  let session;
  try {
    session = await whipPost(options.whipUrl, options.token, offer);
    await pc.setRemoteDescription({ type: "answer", sdp: session.answerSdp });
    await waitConnected(pc, 10_000);
  } catch (error) {
    await pc.close();
    if (session) await whipDelete(session.resourceUrl, options.token).catch(() => {});
    throw error;
  }

  let lastVideoTimestamp: number | undefined;
  const send = (track: MediaStreamTrack, packet: RtpPacket, kind: "video" | "audio"): void => {
    // werift silently drops RTP while DTLS is down; count only what really leaves.
    if (pc.connectionState !== "connected") return;
    counters.bytesSent += packet.serializeSize;
    if (kind === "video") {
      counters.videoPacketsSent++;
      if (packet.header.timestamp !== lastVideoTimestamp)
        options.onVideoFrameSent?.(packet.header.timestamp, performance.timeOrigin + performance.now());
      lastVideoTimestamp = packet.header.timestamp;
    } else counters.audioPacketsSent++;
    track.writeRtp(packet);
  };
  // Start at frame 0 (a keyframe) only now, so the relay's first packets decode at once.
  source = startClipSource({
    videoClip: options.videoClip,
    audioClip: options.audioClip,
    onVideoPacket: (packet) => send(videoTrack, packet, "video"),
    onAudioPacket: (packet) => send(audioTrack, packet, "audio"),
  });

  let stopped = false;
  const resourceUrl = session.resourceUrl;
  return {
    resourceUrl,
    connectionState: () => pc.connectionState,
    stats: () => ({ ...counters }),
    async stop() {
      if (stopped) return;
      stopped = true;
      source?.stop();
      await whipDelete(resourceUrl, options.token).catch(() => {});
      await pc.close();
    },
  };
}
