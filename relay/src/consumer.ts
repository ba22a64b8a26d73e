// A Consumer is one outgoing RTP stream to one peer, fed by one Producer. werift's RTCRtpSender behind
// it rewrites SSRC, payload type and (when needed) sequence numbers, answers NACKs from its history of
// the last packets sent (whose payloads share memory with the producer's), and raises PLI events.
import { randomUUID } from "node:crypto";
import { MediaStreamTrack, RtpPacket, type RTCRtpSender } from "werift";
import type { Producer, RtpSink } from "./producer.ts";

export interface ConsumerStats {
  id: string;
  producerId: string | null;
  kind: "video" | "audio";
  packetsSent: number;
  bytesSent: number;
  keyFrameRequestsReceived: number;
}

/** RTP clock ticks between two packets, used to splice a new source onto the running stream. */
const SPLICE_TICKS = { video: 3000, audio: 960 } as const;

export class Consumer implements RtpSink {
  readonly id = randomUUID();
  readonly track: MediaStreamTrack;
  producer: Producer | null = null;
  private live = false;
  private closed = false;
  private spliceNext = false;
  private readonly unsubscribePli: () => void;
  packetsSent = 0;
  bytesSent = 0;
  keyFrameRequestsReceived = 0;

  constructor(readonly kind: "video" | "audio", private readonly sender: RTCRtpSender) {
    this.track = new MediaStreamTrack({ kind });
    void sender.replaceTrack(this.track);
    this.unsubscribePli = sender.onPictureLossIndication.subscribe(() => {
      this.keyFrameRequestsReceived++;
      this.producer?.requestKeyFrame();
    }).unSubscribe;
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
    if (!this.live || this.closed || from !== this.producer) return;
    this.send(RtpPacket.deSerialize(packet), packet.length);
  }

  stats(): ConsumerStats {
    return {
      id: this.id, producerId: this.producer?.id ?? null, kind: this.kind, packetsSent: this.packetsSent,
      bytesSent: this.bytesSent, keyFrameRequestsReceived: this.keyFrameRequestsReceived,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.unsubscribePli();
    this.track.stop();
  }

  /**
   * A video consumer first gets the cached keyframe, renumbered so that it ends exactly where the live
   * stream is now: the viewer has a picture at once and no sequence gap to NACK. A fresh keyframe is
   * requested too, because the live delta frames that follow do not reference the cached one.
   */
  private prime(): void {
    const producer = this.producer;
    if (!producer || this.kind !== "video") return;
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
        timestamp: (timestamp - SPLICE_TICKS[this.kind]) >>> 0,
      });
    }
    this.packetsSent++;
    this.bytesSent += size;
    this.track.writeRtp(packet);
  }
}
