// A Consumer is one outgoing RTP stream to one peer, fed by one Producer. werift's RTCRtpSender behind
// it rewrites SSRC, payload type and (when needed) sequence numbers, answers NACKs from its history of
// the last packets sent (whose payloads share memory with the producer's), and raises PLI events.
import { randomUUID } from "node:crypto";
import { MediaStreamTrack, RtcpRrPacket, RtcpSrPacket, RtpPacket, type RTCRtpSender } from "werift";
import { DownlinkMonitor, type DownlinkChange, type DownlinkPolicy } from "./downlink-monitor.ts";
import type { Producer, RtpSink } from "./producer.ts";

export interface ConsumerStats {
  id: string;
  producerId: string | null;
  kind: "video" | "audio";
  packetsSent: number;
  bytesSent: number;
  keyFrameRequestsReceived: number;
  /** Video held back because the viewer's downlink cannot carry it (audio-only fallback). */
  paused: boolean;
  pauses: number;
  lastFractionLost: number | null;
  /** What the sender adds to the producer's RTP timestamps (maps a viewer's frames back to the camera's). */
  rtpTimestampOffset: number;
}

export interface ConsumerOptions {
  /** Video only: pause when the viewer's receiver reports say its downlink cannot carry it. */
  onDownlinkChange?: (change: DownlinkChange) => void;
  downlinkPolicy?: DownlinkPolicy;
}

/** RTP clock ticks between two packets, used to splice a new source onto the running stream. */
const SPLICE_TICKS = { video: 3000, audio: 960 } as const;
const CLOCK_KHZ = { video: 90, audio: 48 } as const;

export class Consumer implements RtpSink {
  readonly id = randomUUID();
  readonly track: MediaStreamTrack;
  producer: Producer | null = null;
  private live = false;
  private closed = false;
  private spliceNext = false;
  private spliceTicks = 0;
  private paused = false;
  private pausedAt = 0;
  private readonly downlink: DownlinkMonitor | null;
  private readonly unsubscribes: (() => void)[] = [];
  packetsSent = 0;
  bytesSent = 0;
  keyFrameRequestsReceived = 0;
  lastFractionLost: number | null = null;

  constructor(readonly kind: "video" | "audio", private readonly sender: RTCRtpSender, options: ConsumerOptions = {}) {
    this.track = new MediaStreamTrack({ kind });
    this.spliceTicks = SPLICE_TICKS[kind];
    void sender.replaceTrack(this.track);
    this.unsubscribes.push(sender.onPictureLossIndication.subscribe(() => {
      this.keyFrameRequestsReceived++;
      if (!this.paused) this.producer?.requestKeyFrame();
    }).unSubscribe);
    const onDownlinkChange = options.onDownlinkChange;
    this.downlink = onDownlinkChange
      ? new DownlinkMonitor((change) => {
        if (change.state === "audio-only") this.pause();
        else this.resume();
        onDownlinkChange(change);
      }, options.downlinkPolicy)
      : null;
    if (this.downlink) {
      // Receiver reports about this stream (werift routes RRs here by the SSRC they describe).
      this.unsubscribes.push(sender.onRtcp.subscribe((packet) => {
        if (!(packet instanceof RtcpRrPacket) && !(packet instanceof RtcpSrPacket)) return;
        for (const report of packet.reports) {
          if (report.ssrc !== sender.ssrc || !this.live || this.packetsSent === 0) continue;
          this.lastFractionLost = report.fractionLost / 256;
          this.downlink!.report(this.lastFractionLost, report.jitter / CLOCK_KHZ[this.kind]);
        }
      }).unSubscribe);
    }
  }

  /**
   * Feeds this consumer from `producer` (a camera that published again, or another viewer taking the
   * talk-back floor). The first packet from the new source is spliced onto the sequence numbers and
   * timestamps already sent, so the receiver sees one continuous stream.
   */
  attach(producer: Producer): void {
    if (this.closed || this.producer === producer) return;
    this.producer?.removeSink(this);
    this.producer = producer;
    this.spliceNext = true;
    this.spliceTicks = SPLICE_TICKS[this.kind];
    producer.addSink(this);
    if (this.live) this.prime();
  }

  detach(): void {
    this.producer?.removeSink(this);
    this.producer = null;
  }

  /** Called once the peer's DTLS is up; before that werift would drop what we send. */
  start(): void {
    if (this.live || this.closed) return;
    this.live = true;
    this.prime();
  }

  deliver(packet: Buffer, from: Producer): void {
    if (!this.live || this.closed || this.paused || from !== this.producer) return;
    this.send(RtpPacket.deSerialize(packet), packet.length);
  }

  /** Stops forwarding (the viewer's downlink cannot carry it); the peer connection stays up. */
  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.pausedAt = performance.now();
    // Nor answer the viewer's NACKs for what it lost before: those retransmissions would take the
    // bandwidth the sound needs, and video restarts from a keyframe anyway. (werift keeps the history
    // in a private array; replaceRTP empties it the same way.)
    Reflect.set(this.sender, "rtpCache", []);
  }

  /**
   * Forwards again, starting with the cached keyframe and a fresh one asked for. Sequence numbers carry
   * on without a gap (nothing to NACK) and timestamps jump by the time paused, so the receiver's
   * jitter buffer sees a stream that simply had no frames for a while.
   */
  resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.spliceNext = true;
    this.spliceTicks = Math.max(SPLICE_TICKS[this.kind], Math.round((performance.now() - this.pausedAt) * CLOCK_KHZ[this.kind]));
    if (this.live) this.prime();
  }

  stats(): ConsumerStats {
    return {
      id: this.id, producerId: this.producer?.id ?? null, kind: this.kind, packetsSent: this.packetsSent,
      bytesSent: this.bytesSent, keyFrameRequestsReceived: this.keyFrameRequestsReceived,
      paused: this.paused, pauses: this.downlink?.pauses ?? 0, lastFractionLost: this.lastFractionLost,
      rtpTimestampOffset: Number(Reflect.get(this.sender, "timestampOffset") ?? 0) >>> 0,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.downlink?.close();
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.track.stop();
  }

  /**
   * A video consumer first gets the cached keyframe, renumbered so that it ends exactly where the live
   * stream is now: the viewer has a picture at once and no sequence gap to NACK. A fresh keyframe is
   * requested too, because the live delta frames that follow do not reference the cached one.
   */
  private prime(): void {
    const producer = this.producer;
    if (!producer || this.kind !== "video" || this.paused) return;
    const cached = producer.cachedKeyFrame();
    const lastSeq = producer.lastSequenceNumber;
    const lastTs = producer.lastTimestamp;
    if (cached.length > 0 && lastSeq !== undefined && lastTs !== undefined) {
      cached.forEach((bytes, i) => {
        const packet = RtpPacket.deSerialize(bytes);
        packet.header.sequenceNumber = (lastSeq - cached.length + 1 + i) & 0xffff;
        packet.header.timestamp = lastTs;
        this.send(packet, bytes.length);
      });
    }
    producer.requestKeyFrame();
  }

  private send(packet: RtpPacket, size: number): void {
    if (this.spliceNext) {
      this.spliceNext = false;
      const { sequenceNumber, timestamp } = packet.header;
      // werift maps the packet after `header` to the packet after the last one it sent.
      this.sender.replaceRTP({
        sequenceNumber: (sequenceNumber - 1) & 0xffff,
        timestamp: (timestamp - this.spliceTicks) >>> 0,
      });
    }
    this.packetsSent++;
    this.bytesSent += size;
    this.track.writeRtp(packet);
  }
}
