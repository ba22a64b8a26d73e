import { describe, expect, it } from "vitest";
import { RtpHeader, RtpPacket } from "werift";
import { buildStapA, fitPayload, inspectPayload, keyframeAnnexB, parameterSetsFromSdp, stapUnits } from "./h264-rtp.ts";
import { RtpForwarder } from "./rtp-forwarder.ts";

const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0xda]);
const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const idr = (size: number) => Buffer.concat([Buffer.from([0x65]), Buffer.alloc(size - 1, 0xab)]);
const rtp = (payload: Buffer, timestamp: number, marker = true) =>
  new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: 1, timestamp, marker, ssrc: 7 }), payload).serialize();

describe("H.264 over RTP, passed through", () => {
  it("reads keyframe starts in single NAL units, STAP-A and FU-A", () => {
    expect(inspectPayload(idr(10))).toEqual({ nalTypes: [5], idrStart: true });
    expect(inspectPayload(buildStapA([sps, pps])).nalTypes).toEqual([7, 8]);
    const [first, second] = fitPayload(idr(3000), 1100);
    expect(inspectPayload(first!)).toEqual({ nalTypes: [5], idrStart: true });
    expect(inspectPayload(second!).nalTypes).toEqual([]);
  });

  it("cuts what is too big for a WebRTC datagram and puts the pieces back together", () => {
    const nal = idr(5000);
    const pieces = fitPayload(nal, 1100);
    expect(pieces.every((p) => p.length <= 1100)).toBe(true);
    expect(pieces[0]![1]! & 0x80).toBe(0x80); // start
    expect(pieces.at(-1)![1]! & 0x40).toBe(0x40); // end
    const rebuilt = Buffer.concat([Buffer.from([(pieces[0]![0]! & 0xe0) | 5]), ...pieces.map((p) => p.subarray(2))]);
    expect(rebuilt.equals(nal)).toBe(true);
    // A FU-A fragment from a camera that packetises for TCP (bigger than a datagram) is cut again.
    const refragmented = fitPayload(fitPayload(nal, 3000)[0]!, 1100);
    expect(refragmented.every((p) => p.length <= 1100)).toBe(true);
    expect(refragmented.filter((p) => p[1]! & 0x80)).toHaveLength(1);
    expect(refragmented.filter((p) => p[1]! & 0x40)).toHaveLength(0); // the end was in a later fragment
    // A STAP-A too big is split into its units.
    expect(fitPayload(buildStapA([sps, pps, idr(1500)]), 1100).length).toBeGreaterThan(2);
    expect(stapUnits(buildStapA([sps, pps]))).toEqual([sps, pps]);
  });

  it("puts the SDP's SPS/PPS before a keyframe that comes without them, and keeps a continuous timeline", () => {
    const sprop = `${sps.toString("base64")},${pps.toString("base64")}`;
    expect(parameterSetsFromSdp(sprop)).toEqual([sps, pps]);
    const forwarder = new RtpForwarder(true, 3000, parameterSetsFromSdp(sprop));
    const out = forwarder.forward(rtp(idr(500), 1000));
    expect(out).toHaveLength(2);
    expect(out[0]!.keyframeStart).toBe(true);
    expect(stapUnits(out[0]!.packet.payload)).toEqual([sps, pps]);
    const next = forwarder.forward(rtp(Buffer.from([0x41, 1, 2]), 4600));
    expect(next[0]!.packet.header.timestamp - out[0]!.packet.header.timestamp).toBe(3600);
    // A camera that reboots starts its clock anywhere: ours moves on by one frame.
    forwarder.discontinuity();
    const after = forwarder.forward(rtp(Buffer.from([0x41, 1, 2]), 99));
    expect((after[0]!.packet.header.timestamp - next[0]!.packet.header.timestamp) >>> 0).toBe(3000);
    // In-band SPS, PPS, IDR (as GStreamer and most cameras send them): one keyframe start, nothing added.
    const inBand = [sps, pps, idr(200)].flatMap((nal, i) => forwarder.forward(rtp(nal, 200_000, i === 2)));
    expect(inBand).toHaveLength(3);
    expect(inBand.map((p) => p.keyframeStart)).toEqual([true, false, false]);
  });

  it("writes a keyframe's payloads as an Annex B stream (a still for ffmpeg's stdin)", () => {
    const nal = idr(3000);
    const payloads = [buildStapA([sps, pps]), ...fitPayload(nal, 1100)];
    const start = Buffer.from([0, 0, 0, 1]);
    expect(keyframeAnnexB(payloads)).toEqual(Buffer.concat([start, sps, start, pps, start, nal]));
    // A fragment whose start was missed is dropped rather than written as a broken unit.
    expect(keyframeAnnexB(fitPayload(nal, 1100).slice(1))).toEqual(Buffer.alloc(0));
  });
});
