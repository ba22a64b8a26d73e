// An IP camera's live view, published like our own camera's: the RTSP stream is pulled (over TCP) only
// while this stream exists, and its H.264 and G.711 RTP go to the relay over WebRTC (WHIP) as they are,
// re-timed but never decoded; AAC audio goes as Opus (aac-opus.ts: browsers have no AAC over WebRTC).
// Talk-back from the relay goes to the camera's ONVIF backchannel in the G.711 law the camera asked for
// (talkback.ts): viewers send the section's codec, converted A-law ↔ µ-law or decoded from Opus as needed.
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
  useNACK,
  usePLI,
  type RTCRtpTransceiver,
} from "werift";
import {
  zeroStreamStats,
  type CameraStream,
  type CameraStreamOptions,
  type CameraStreamStats,
} from "../../../device-client/src/camera-stream.ts";
import { publisherConfig, waitConnected } from "../../../device-client/src/publisher-peer.ts";
import { whipDelete, whipPost } from "../../../device-client/src/whip-client.ts";
import { gatheredLocalSdp } from "../../../core/webrtc.ts";
import { audioPlan, talksBack, type AudioPlan } from "./audio-plan.ts";
import type { RtspAccount } from "./rtsp-auth.ts";
import type { ForwardedPacket } from "./rtp-forwarder.ts";
import { RtspFeed, type FeedListener } from "./rtsp-feed.ts";
import type { Backoff, PullState } from "./rtsp-pull.ts";
import { AAC, type RtspTracks } from "./rtsp-client.ts";
import type { RtspTrack } from "./rtsp-sdp.ts";
import { Talkback } from "./talkback.ts";

export interface RtspStreamOptions extends CameraStreamOptions {
  rtspUrl: string;
  /** Called as each video frame leaves (its RTP timestamp): the bench measures the delay the bridge adds. */
  onVideoFrameSent?: (rtpTimestamp: number, sentAtEpochMs: number) => void;
  account?: RtspAccount;
  backoff?: Backoff;
  /** RTSP request and connect timeout. */
  timeoutMs?: number;
  onRtspState?(state: PullState, detail: string): void;
  /** The camera's audio stopped reaching viewers mid-stream (the AAC transcoder ended). */
  onAudioOff?(reason: string): void;
  /** The ffmpeg that turns AAC into Opus (default: ffmpeg on PATH). */
  ffmpeg?: string;
  /** A feed shared across streams (lingering between them); without it, the stream has its own. */
  feed?: RtspFeed;
  /**
   * Asks the camera itself for a keyframe (ONVIF Media2 SetSynchronizationPoint, where the bridge's ONVIF
   * client has it): by the stream's own feed once the camera has answered PLAY (rtsp-feed.ts), and when a
   * viewer needs a keyframe the bridge has not kept. A shared `feed` is given its own at construction.
   */
  requestKeyframe?(): void;
  /** Each video packet: when its bytes were read from the camera and when they were handed to the relay's socket. */
  onVideoPacketForwarded?(receivedAt: number, forwardedAt: number): void;
}

export interface RtspStreamStats extends CameraStreamStats {
  /** Times the kept GOP was sent again for a joining viewer (or on connection), instead of waiting for the camera. */
  keyframesFromCache: number;
}

export interface RtspCameraStream extends CameraStream {
  stats(): RtspStreamStats;
  /** The camera has an ONVIF audio backchannel in a codec viewers can send: talking to it works. */
  readonly talkback: boolean;
  /** H.264 profile-level-id; the camera's audio ("AAC as OPUS": transcoded); its backchannel's codec. */
  readonly codecs: { video: string; audio: string | null; talkback: string | null };
  /** Why the camera's audio does not reach viewers (null: it does, or it has none). */
  readonly audioOff: string | null;
  rtspState(): PullState;
  rtspReconnects(): number;
}

function h264Codec(video: RtspTrack): RTCRtpCodecParameters {
  const profile = /^[0-9a-f]{6}$/i.test(video.fmtp["profile-level-id"] ?? "")
    ? video.fmtp["profile-level-id"]!.toLowerCase()
    : "42e01f";
  return new RTCRtpCodecParameters({
    mimeType: "video/H264",
    clockRate: 90_000,
    payloadType: 108,
    rtcpFeedback: [useNACK(), usePLI()],
    parameters: `level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${profile}`,
  });
}

function audioCodec(name: AudioPlan["codec"]): RTCRtpCodecParameters {
  if (name === "OPUS")
    return new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2, payloadType: 111 });
  return new RTCRtpCodecParameters({
    mimeType: `audio/${name}`,
    clockRate: 8000,
    channels: 1,
    payloadType: name === "PCMA" ? 8 : 0,
  });
}

function peerFor(options: RtspStreamOptions, tracks: RtspTracks, audio: AudioPlan | null) {
  const codecs = { video: [h264Codec(tracks.video)], audio: audio ? [audioCodec(audio.codec)] : [] };
  return new RTCPeerConnection(publisherConfig(options, codecs));
}

const emptyStats = (): RtspStreamStats => ({ ...zeroStreamStats(), keyframesFromCache: 0 });

export async function startRtspStream(options: RtspStreamOptions): Promise<RtspCameraStream> {
  const counters = emptyStats();
  const media = new MediaPath(options, counters);
  const feed =
    options.feed ??
    new RtspFeed({
      url: options.rtspUrl,
      account: options.account,
      backoff: options.backoff,
      timeoutMs: options.timeoutMs,
      onState: options.onRtspState,
      onAudioOff: options.onAudioOff,
      ffmpeg: options.ffmpeg,
      // The RTSP session may begin mid-GOP (the camera's encoder runs whether anybody watches).
      requestKeyframe: options.requestKeyframe,
    });
  const pull = await feed.acquire(media);
  try {
    await media.publish(pull.tracks, feed);
  } catch (error) {
    await feed.release(media);
    throw error;
  }
  return streamHandle(options, pull.tracks, feed, media, counters);
}

function streamHandle(
  options: RtspStreamOptions,
  tracks: RtspTracks,
  feed: RtspFeed,
  media: MediaPath,
  counters: RtspStreamStats,
): RtspCameraStream {
  let stopped = false;
  const { video, audio, talkback } = tracks;
  const plan = audioPlan(tracks);
  return {
    resourceUrl: media.resourceUrl,
    talkback: talksBack(plan),
    audioOff: tracks.audioOff,
    codecs: {
      video: `H264 ${video.fmtp["profile-level-id"] ?? ""}`.trim(),
      audio: audio?.codec === AAC ? "AAC as OPUS" : (audio?.codec ?? null),
      talkback: talkback?.codec ?? null,
    },
    connectionState: () => media.connectionState(),
    stats: () => ({ ...counters }),
    rtspState: () => feed.state,
    rtspReconnects: () => feed.reconnects,
    async stop() {
      if (stopped) return;
      stopped = true;
      await feed.release(media);
      await media.close(options.token);
    },
  };
}

/** The WebRTC side: one sender per track, fed from the camera's RTP. */
class MediaPath implements FeedListener {
  private pc: RTCPeerConnection | null = null;
  private videoTrack = new MediaStreamTrack({ kind: "video" });
  private audioTrack = new MediaStreamTrack({ kind: "audio" });
  private feed: RtspFeed | null = null;
  private replayWanted = false;
  private lastReplayAt = -Infinity;
  private lastCameraTimestamp: number | undefined;
  private lastVideoTimestamp: number | undefined;
  private videoSequence = Math.floor(Math.random() * 0x10000);
  private audioSequence = Math.floor(Math.random() * 0x10000);
  private talkback: Talkback | null = null;
  resourceUrl = "";

  constructor(
    private readonly options: RtspStreamOptions,
    private readonly counters: RtspStreamStats,
  ) {}

  connectionState(): string {
    return this.pc?.connectionState ?? "new";
  }

  async publish(tracks: RtspTracks, feed: RtspFeed): Promise<void> {
    this.feed = feed;
    const plan = audioPlan(tracks);
    const pc = peerFor(this.options, tracks, plan);
    this.pc = pc;
    const video = pc.addTransceiver(this.videoTrack, { direction: "sendonly" });
    video.sender.onPictureLossIndication.subscribe(() => this.keyframeRequested());
    if (plan) {
      const transceiver = pc.addTransceiver(this.audioTrack, { direction: plan.direction });
      if (plan.direction !== "sendonly") this.listenForTalkback(transceiver, feed, plan, tracks.talkback!);
    }
    await pc.setLocalDescription(await pc.createOffer());
    const offer = await gatheredLocalSdp(pc);
    let session;
    try {
      session = await whipPost(this.options.whipUrl, this.options.token, offer);
      await pc.setRemoteDescription({ type: "answer", sdp: session.answerSdp });
      await waitConnected(pc, 10_000);
    } catch (error) {
      await pc.close();
      if (session) await whipDelete(session.resourceUrl, this.options.token).catch(() => {});
      throw error;
    }
    this.resourceUrl = session.resourceUrl;
    // What the camera sent while WebRTC connected goes out at the next frame.
    this.replayWanted = true;
  }

  /**
   * Keyframes: an IP camera cannot be asked for one over RTSP, and its GOP may be seconds long. The feed
   * keeps the current GOP (from the last keyframe); when the relay asks for a keyframe (a viewer joins) or
   * WebRTC has just connected, it is sent again at the next frame boundary: the new viewer decodes the
   * keyframe and the frames since at once and shows the current picture instead of waiting for the camera's
   * next keyframe. The live timeline (and lip sync) is untouched; a viewer already watching decodes the same
   * picture again.
   */
  onPacket(kind: "video" | "audio", { packet, keyframeStart }: ForwardedPacket): void {
    const connected = this.pc?.connectionState === "connected";
    if (kind === "audio") {
      if (connected) this.send(packet, "audio");
      return;
    }
    const frameStart = packet.header.timestamp !== this.lastCameraTimestamp;
    this.lastCameraTimestamp = packet.header.timestamp;
    if (keyframeStart) this.replayWanted = false;
    else if (frameStart && this.replayWanted && connected) this.replayGop(packet.header.timestamp);
    if (connected) this.send(packet, "video");
  }

  onCameraPacketDone(kind: "video" | "audio", receivedAt: number): void {
    if (kind === "video" && this.pc?.connectionState === "connected")
      this.options.onVideoPacketForwarded?.(receivedAt, performance.now());
  }

  /** The relay asks for a keyframe (PLI/FIR): one replay per second at most. */
  keyframeRequested(): void {
    this.counters.keyframeRequests++;
    if (!this.feed?.gop?.length) this.options.requestKeyframe?.();
    else if (performance.now() - this.lastReplayAt >= 1_000) this.replayWanted = true;
  }

  /**
   * The kept GOP again, its frames stamped one RTP tick apart just before the frame about to go out: to a
   * receiver they are a burst of frames that belong to this instant (no old timestamps to stretch its jitter
   * estimate and delay every later frame), and the timeline stays monotonic for viewers already watching.
   */
  private replayGop(nextTimestamp: number): void {
    this.replayWanted = false;
    const gop = this.feed?.gop;
    if (!gop?.length) return;
    this.lastReplayAt = performance.now();
    this.counters.keyframesFromCache++;
    const frames = new Set(gop.map((p) => p.header.timestamp)).size;
    let frame = 0;
    let previous: number | undefined;
    for (const original of gop) {
      if (original.header.timestamp !== previous) frame++;
      previous = original.header.timestamp;
      const timestamp = (nextTimestamp - (frames - frame) - 1) >>> 0;
      const header = new RtpHeader({ timestamp, marker: original.header.marker, payloadType: 0, ssrc: 0 });
      this.send(new RtpPacket(header, original.payload), "video");
    }
  }

  /** A copy goes to werift, which rewrites headers in place: the feed's kept GOP must stay as it was. */
  private send(original: RtpPacket, kind: "video" | "audio"): void {
    const { timestamp, marker } = original.header;
    const packet = new RtpPacket(new RtpHeader({ timestamp, marker, payloadType: 0, ssrc: 0 }), original.payload);
    this.counters.bytesSent += packet.serializeSize;
    if (kind === "audio") {
      this.counters.audioPacketsSent++;
      this.audioSequence = (this.audioSequence + 1) & 0xffff;
      packet.header.sequenceNumber = this.audioSequence;
      this.audioTrack.writeRtp(packet);
      return;
    }
    this.counters.videoPacketsSent++;
    this.videoSequence = (this.videoSequence + 1) & 0xffff;
    packet.header.sequenceNumber = this.videoSequence;
    if (packet.header.timestamp !== this.lastVideoTimestamp)
      this.options.onVideoFrameSent?.(packet.header.timestamp, performance.timeOrigin + performance.now());
    this.lastVideoTimestamp = packet.header.timestamp;
    this.videoTrack.writeRtp(packet);
  }

  /** Talk-back from the relay to the camera's backchannel (talkback.ts). */
  private listenForTalkback(transceiver: RTCRtpTransceiver, feed: RtspFeed, plan: AudioPlan, backchannel: RtspTrack) {
    const { ffmpeg, onAudioOff } = this.options;
    this.talkback = new Talkback({
      plan,
      backchannel,
      send: (packet) => feed.sendTalkback(packet),
      ffmpeg,
      onOff: onAudioOff,
    });
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        this.counters.talkbackPacketsReceived++;
        this.counters.talkbackBytesReceived += rtp.payload.length;
        this.talkback?.receive(rtp);
      });
    });
  }

  async close(token: string): Promise<void> {
    this.talkback?.close();
    if (this.resourceUrl) await whipDelete(this.resourceUrl, token).catch(() => {});
    await this.pc?.close();
  }
}
