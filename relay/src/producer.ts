// A Producer is one incoming RTP stream: a camera's video or audio, or a viewer's microphone.
// It serialises each packet once and hands the same bytes to every sink, so fan-out costs no copies.
import { randomUUID } from "node:crypto";
import type { MediaStreamTrack, RtpPacket } from "werift";
import { startsVp8Keyframe } from "./vp8.ts";

export type ProducerSource = "camera" | "microphone";

export interface RtpSink {
  deliver(packet: Buffer, from: Producer): void;
}

export interface ProducerOptions {
  kind: "video" | "audio";
  source: ProducerSource;
  track: MediaStreamTrack;
  /** Sends a PLI upstream; the producer decides when (rate limit). */
  sendKeyFrameRequest?: () => void;
  /** At most one PLI per this many ms goes upstream, however many viewers ask. */
  keyFrameRequestIntervalMs?: number;
}

export interface ProducerStats {
  id: string;
  kind: "video" | "audio";
  source: ProducerSource;
  packetsReceived: number;
  bytesReceived: number;
  keyFrameRequestsSent: number;
  cachedKeyFramePackets: number;
}

export class Producer {
  readonly id = randomUUID();
  readonly kind: "video" | "audio";
  readonly source: ProducerSource;
  private readonly sinks = new Set<RtpSink>();
  private readonly sendKeyFrameRequest?: () => void;
  private readonly keyFrameRequestIntervalMs: number;
  private lastKeyFrameRequestAt = Number.NEGATIVE_INFINITY;
  private keyFrameRequestTimer: NodeJS.Timeout | undefined;
  private keyFrame: Buffer[] = [];
  private assembling: { timestamp: number; packets: Buffer[] } | null = null;
  private unsubscribe: () => void;
  private closed = false;
  lastSequenceNumber: number | undefined;
  lastTimestamp: number | undefined;
  packetsReceived = 0;
  bytesReceived = 0;
  keyFrameRequestsSent = 0;

  constructor(options: ProducerOptions) {
    this.kind = options.kind;
    this.source = options.source;
    this.sendKeyFrameRequest = options.sendKeyFrameRequest;
    this.keyFrameRequestIntervalMs = options.keyFrameRequestIntervalMs ?? 1000;
    this.unsubscribe = options.track.onReceiveRtp.subscribe((rtp) => this.receive(rtp)).unSubscribe;
  }

  addSink(sink: RtpSink): void {
    this.sinks.add(sink);
  }

  removeSink(sink: RtpSink): void {
    this.sinks.delete(sink);
  }

  /** RTP packets of the last complete VP8 keyframe, for a viewer that joins mid-stream. */
  cachedKeyFrame(): readonly Buffer[] {
    return this.keyFrame;
  }

  requestKeyFrame(): void {
    if (this.closed || !this.sendKeyFrameRequest || this.keyFrameRequestTimer) return;
    const wait = this.lastKeyFrameRequestAt + this.keyFrameRequestIntervalMs - performance.now();
    if (wait <= 0) return this.flushKeyFrameRequest();
    // Asked too soon after the last PLI: send one at the end of the quiet period rather than drop it.
    this.keyFrameRequestTimer = setTimeout(() => this.flushKeyFrameRequest(), wait);
  }

  stats(): ProducerStats {
    return {
      id: this.id, kind: this.kind, source: this.source, packetsReceived: this.packetsReceived,
      bytesReceived: this.bytesReceived, keyFrameRequestsSent: this.keyFrameRequestsSent,
      cachedKeyFramePackets: this.keyFrame.length,
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.keyFrameRequestTimer);
    this.unsubscribe();
    this.sinks.clear();
  }

  private flushKeyFrameRequest(): void {
    this.keyFrameRequestTimer = undefined;
    if (this.closed) return;
    this.lastKeyFrameRequestAt = performance.now();
    this.keyFrameRequestsSent++;
    this.sendKeyFrameRequest?.();
  }

  private receive(rtp: RtpPacket): void {
    if (this.closed) return;
    // Header extension ids were negotiated with the sender, not with our consumers: drop them here
    // (each consumer's sender adds its own), along with padding.
    const header = rtp.header;
    header.extensions = [];
    header.extension = false;
    header.padding = false;
    header.paddingSize = 0;
    const packet = rtp.serialize();
    this.packetsReceived++;
    this.bytesReceived += packet.length;
    this.lastSequenceNumber = header.sequenceNumber;
    this.lastTimestamp = header.timestamp;
    if (this.kind === "video") this.trackKeyFrame(rtp, packet);
    // A snapshot: a sink may subscribe another one while handling this packet (talk-back floor).
    for (const sink of [...this.sinks]) sink.deliver(packet, this);
  }

  private trackKeyFrame(rtp: RtpPacket, packet: Buffer): void {
    const { timestamp, marker } = rtp.header;
    if (startsVp8Keyframe(rtp.payload)) {
      this.assembling = { timestamp, packets: [packet] };
    } else if (this.assembling?.timestamp === timestamp) {
      this.assembling.packets.push(packet);
    } else {
      this.assembling = null; // a keyframe we did not see whole (loss or reordering): keep the older one
      return;
    }
    if (marker && this.assembling) {
      this.keyFrame = this.assembling.packets;
      this.assembling = null;
    }
  }
}
