// The camera's RTP, re-timed for one WebRTC sender: a continuous timeline across RTSP reconnects (a camera that reboots restarts both at random), H.264 payloads cut to fit and SPS/PPS put in
// front of every keyframe that comes without them. werift then stamps its own SSRC and payload type.
import { RtpHeader, RtpPacket } from "werift";
import { buildStapA, fitPayload, inspectPayload, NAL_PPS, NAL_SPS, stapUnits } from "./h264-rtp.ts";

export interface ForwardedPacket {
  packet: RtpPacket;
  /** The first packet of an IDR picture (with its parameter sets, if they had to be added). */
  keyframeStart: boolean;
}

export class RtpForwarder {
  private outTimestamp = Math.floor(Math.random() * 0x100000000);
  private lastInTimestamp: number | null = null;
  private parameterSets: Buffer[];
  private parameterSetsAt: number | null = null;
  private keyframeStartedAt: number | null = null;

  /**
   * @param h264 video: inspect and repacketise payloads; audio goes through as it is.
   * @param frameTicks how far the timeline moves across a discontinuity (one frame or one audio packet).
   * @param sdpParameterSets SPS and PPS from the camera's SDP, for keyframes that arrive without them.
   */
  constructor(
    private readonly h264: boolean,
    private readonly frameTicks: number,
    sdpParameterSets: Buffer[] = [],
  ) {
    this.parameterSets = sdpParameterSets;
  }

  /** The camera's stream starts again (RTSP reconnect): its timestamps say nothing about ours. */
  discontinuity(): void {
    if (this.lastInTimestamp !== null) this.outTimestamp = (this.outTimestamp + this.frameTicks) >>> 0;
    this.lastInTimestamp = null;
  }

  forward(raw: Buffer): ForwardedPacket[] {
    let input: RtpPacket;
    try {
      input = RtpPacket.deSerialize(raw);
    } catch {
      return [];
    }
    const timestamp = this.retime(input.header.timestamp);
    if (!this.h264)
      return [{ packet: this.packet(input.payload, timestamp, input.header.marker), keyframeStart: false }];
    const info = inspectPayload(input.payload);
    // A keyframe starts at its frame's first SPS or IDR packet (cameras send SPS, PPS, IDR: one start, not three).
    const startsKeyframe = (info.idrStart || info.nalTypes.includes(NAL_SPS)) && this.keyframeStartedAt !== timestamp;
    if (startsKeyframe) this.keyframeStartedAt = timestamp;
    this.rememberParameterSets(input.payload, info.nalTypes, timestamp);
    const out: ForwardedPacket[] = [];
    if (info.idrStart && this.parameterSetsAt !== timestamp && this.parameterSets.length >= 2) {
      out.push({ packet: this.packet(buildStapA(this.parameterSets), timestamp, false), keyframeStart: true });
      this.parameterSetsAt = timestamp;
    }
    const pieces = fitPayload(input.payload);
    pieces.forEach((payload, i) => {
      const marker = input.header.marker && i === pieces.length - 1;
      out.push({ packet: this.packet(payload, timestamp, marker), keyframeStart: startsKeyframe && out.length === 0 });
    });
    return out;
  }

  private retime(inTimestamp: number): number {
    if (this.lastInTimestamp !== null)
      this.outTimestamp = (this.outTimestamp + ((inTimestamp - this.lastInTimestamp) >>> 0)) >>> 0;
    this.lastInTimestamp = inTimestamp;
    return this.outTimestamp;
  }

  /** In-band SPS/PPS replace the SDP's (a camera may change resolution) and need no repeating. */
  private rememberParameterSets(payload: Buffer, nalTypes: number[], timestamp: number): void {
    if (!nalTypes.includes(NAL_SPS) && !nalTypes.includes(NAL_PPS)) return;
    const units = (payload[0]! & 0x1f) === 24 ? stapUnits(payload) : [payload];
    const sps = units.find((u) => (u[0]! & 0x1f) === NAL_SPS);
    const pps = units.find((u) => (u[0]! & 0x1f) === NAL_PPS);
    if (sps) this.parameterSets = [Buffer.from(sps), ...this.parameterSets.filter((u) => (u[0]! & 0x1f) !== NAL_SPS)];
    if (pps) this.parameterSets = [...this.parameterSets.filter((u) => (u[0]! & 0x1f) !== NAL_PPS), Buffer.from(pps)];
    if (sps || pps) this.parameterSetsAt = timestamp;
  }

  /** Sequence numbers are given when a packet is sent (a packet kept for a later viewer may go out twice). */
  private packet(payload: Buffer, timestamp: number, marker: boolean): RtpPacket {
    const header = new RtpHeader({ sequenceNumber: 0, timestamp, marker, payloadType: 0, ssrc: 0 });
    return new RtpPacket(header, payload);
  }
}
