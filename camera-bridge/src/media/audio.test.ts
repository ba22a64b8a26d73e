import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { AacToOpus, OggPacketReader, opusPacketSamples } from "./aac-opus.ts";
import { aacTranscoderMissing } from "./ffmpeg-check.ts";
import { aacConfigFromFmtp, adtsFrame, AacDepacketizer } from "./aac-rtp.ts";
import { audioPlan } from "./audio-plan.ts";
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw, transcodeG711 } from "./g711.ts";
import { OpusToG711 } from "./opus-g711.ts";
import { chooseTracks } from "./rtsp-client.ts";
import type { RtspTrack } from "./rtsp-sdp.ts";

const hasFfmpeg = spawnSync("ffmpeg", ["-version"]).status === 0;
/** AAC LC, 16 kHz, mono (what GStreamer's rtpmp4gpay and many cameras describe). */
const AAC_FMTP = { mode: "AAC-hbr", config: "1408", sizelength: "13", indexlength: "3", indexdeltalength: "3" };

const track = (codec: string, backchannel = false, fmtp: Record<string, string> = {}): RtspTrack => ({
  kind: codec === "H264" ? "video" : "audio",
  controlUrl: "rtsp://camera/track",
  payloadType: codec === "PCMA" ? 8 : codec === "PCMU" ? 0 : 97,
  codec,
  clockRate: 8000,
  channels: 1,
  fmtp,
  backchannel,
});

function sine(samples: number, hz: number, amplitude: number): number[] {
  return Array.from({ length: samples }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000)));
}

describe("G.711: A-law and µ-law", () => {
  it("decodes the reference values and each law survives its own round trip", () => {
    expect(decodeMulaw(0xff)).toBe(0);
    expect(decodeMulaw(0x00)).toBe(-32_124);
    expect(decodeMulaw(0x80)).toBe(32_124);
    expect(decodeAlaw(0xd5)).toBe(8);
    expect(decodeAlaw(0x55)).toBe(-8);
    expect(decodeAlaw(0xaa)).toBe(32_256);
    for (let byte = 0; byte < 256; byte++) {
      expect(encodeAlaw(decodeAlaw(byte))).toBe(byte);
      if (byte !== 0x7f) expect(encodeMulaw(decodeMulaw(byte))).toBe(byte); // 0x7f is µ-law's "-0"
    }
  });

  it("a tone in A-law reads as the same tone in µ-law (and back), within G.711's own noise", () => {
    const tone = sine(800, 440, 8000);
    const alaw = Buffer.from(tone.map(encodeAlaw));
    const mulaw = transcodeG711(alaw, "PCMA", "PCMU");
    const back = transcodeG711(mulaw, "PCMU", "PCMA");
    const snr = (decoded: number[]) => {
      const noise = decoded.reduce((sum, value, i) => sum + (value - tone[i]!) ** 2, 0);
      const signal = tone.reduce((sum, value) => sum + value ** 2, 0);
      return 10 * Math.log10(signal / noise);
    };
    expect(snr([...mulaw].map(decodeMulaw))).toBeGreaterThan(30);
    expect(snr([...back].map(decodeAlaw))).toBeGreaterThan(30);
    expect(transcodeG711(alaw, "PCMA", "PCMA")).toBe(alaw);
  });
});

describe("the camera's audio: what goes to viewers and who can talk back", () => {
  it("G.711 passes through and talk-back works across laws; AAC goes as Opus, talk-back decoded to G.711", () => {
    const video = track("H264");
    const pcmaWithPcmuSpeaker = chooseTracks([video, track("PCMA"), track("PCMU", true)], null);
    expect(audioPlan(pcmaWithPcmuSpeaker)).toEqual({ codec: "PCMA", direction: "sendrecv" });
    const aac = chooseTracks([video, track("MPEG4-GENERIC", false, AAC_FMTP), track("PCMA", true)], null);
    expect(aac.audio?.codec).toBe("MPEG4-GENERIC");
    expect(audioPlan(aac)).toEqual({ codec: "OPUS", direction: "sendrecv" });
  });

  it("AAC without ffmpeg, or in a form ADTS cannot carry, is off with the reason", () => {
    const video = track("H264");
    const noFfmpeg = chooseTracks([video, track("MPEG4-GENERIC", false, AAC_FMTP)], "ffmpeg is not installed");
    expect(noFfmpeg).toMatchObject({ audio: null, audioOff: "AAC audio is off: ffmpeg is not installed" });
    const explicitRate = chooseTracks(
      [video, track("MPEG4-GENERIC", false, { ...AAC_FMTP, config: "17800ac4" })],
      null,
    );
    expect(explicitRate.audioOff).toBe("AAC audio is off: an explicit AAC sampling rate is not supported");
    expect(chooseTracks([video, track("G726-32")], null).audioOff).toBe("G726-32 audio is not supported");
    expect(chooseTracks([video], null).audioOff).toBeNull();
  });
});

describe("AAC over RTP (RFC 3640) into ADTS", () => {
  const config = aacConfigFromFmtp(AAC_FMTP);
  /** AAC-hbr payload: 16-bit AU-headers-length, then 13-bit size + 3-bit index per unit. */
  const payload = (units: Buffer[], declaredSizes = units.map((u) => u.length)) => {
    const headers = Buffer.alloc(2 + 2 * declaredSizes.length);
    headers.writeUInt16BE(16 * declaredSizes.length, 0);
    declaredSizes.forEach((size, i) => headers.writeUInt16BE(size << 3, 2 + 2 * i));
    return Buffer.concat([headers, ...units]);
  };

  it("reads the AudioSpecificConfig and writes ADTS headers ffmpeg accepts", () => {
    expect(config).toMatchObject({ profile: 1, samplingIndex: 8, channels: 1, sizeLength: 13, indexLength: 3 });
    expect(() => aacConfigFromFmtp({ ...AAC_FMTP, mode: "generic" })).toThrow(/mode generic/);
    const frame = adtsFrame(config, Buffer.alloc(100, 1));
    expect(frame.length).toBe(107);
    expect(frame.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xf1]));
    expect(((frame[3]! & 3) << 11) | (frame[4]! << 3) | (frame[5]! >> 5)).toBe(107);
  });

  it("cuts several units from one packet and joins one split across packets", () => {
    const depacketizer = new AacDepacketizer(config);
    const [a, b] = [Buffer.alloc(30, 1), Buffer.alloc(40, 2)];
    expect(depacketizer.push(payload([a, b]), true)).toEqual([a, b]);
    const big = Buffer.alloc(3000, 3);
    expect(depacketizer.push(payload([big.subarray(0, 1400)], [3000]), false)).toEqual([]);
    expect(depacketizer.push(payload([big.subarray(1400, 2800)], [3000]), false)).toEqual([]);
    expect(depacketizer.push(payload([big.subarray(2800)], [3000]), true)).toEqual([big]);
  });

  it("Opus packet lengths from the TOC byte", () => {
    expect(opusPacketSamples(Buffer.from([0xf8, 0]))).toBe(960); // CELT 20 ms, one frame
    expect(opusPacketSamples(Buffer.from([0x09, 0]))).toBe(1920); // SILK 20 ms, two frames
    expect(opusPacketSamples(Buffer.from([0x1b, 0x03]))).toBe(2880 * 3); // SILK 60 ms, three frames (code 3)
  });

  it("an Ogg packet that spans two pages comes out whole", () => {
    const page = (lacing: number[], body: Buffer) =>
      Buffer.concat([Buffer.from("OggS"), Buffer.alloc(22), Buffer.from([lacing.length, ...lacing]), body]);
    const long = Buffer.alloc(300, 7);
    const reader = new OggPacketReader();
    const stream = Buffer.concat([
      page([255], long.subarray(0, 255)),
      page([45, 2], Buffer.concat([long.subarray(255), Buffer.from([1, 2])])),
    ]);
    expect([...reader.push(stream.subarray(0, 100)), ...reader.push(stream.subarray(100))]).toEqual([
      long,
      Buffer.from([1, 2]),
    ]);
  });
});

describe.skipIf(!hasFfmpeg)("AAC → Opus through ffmpeg", () => {
  it("a second of the camera's AAC, as RTP, comes out as 20 ms Opus packets", async () => {
    // Real AAC from ffmpeg's own encoder, cut into access units and sent as a camera sends them.
    const encoded = spawnSync("ffmpeg", [
      ...["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=1"],
      ...["-ac", "1", "-c:a", "aac", "-f", "adts", "pipe:1"],
    ]).stdout;
    const units: Buffer[] = [];
    for (let at = 0; at + 7 <= encoded.length;) {
      const length = ((encoded[at + 3]! & 3) << 11) | (encoded[at + 4]! << 3) | (encoded[at + 5]! >> 5);
      units.push(encoded.subarray(at + 7, at + length));
      at += length;
    }
    expect(units.length).toBeGreaterThan(14); // 1 s at 16 kHz: ~16 units of 1024 samples
    const opus: Buffer[] = [];
    const transcoder = new AacToOpus({ config: aacConfigFromFmtp(AAC_FMTP), onPacket: (p) => opus.push(p.payload) });
    for (const unit of units) {
      const headers = Buffer.from([0, 16, unit.length >> 5, (unit.length << 3) & 0xff]);
      transcoder.push(Buffer.concat([headers, unit]), true);
    }
    const deadline = Date.now() + 10_000;
    while (opus.length < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    transcoder.close();
    expect(opus.length).toBeGreaterThanOrEqual(40);
    expect(opus.every((packet) => opusPacketSamples(packet) === 960)).toBe(true);
  });

  it("talk-back in Opus comes out in the backchannel's G.711 law, 20 ms per payload, as loud as it went in", async () => {
    const opus = spawnSync("ffmpeg", [
      ...["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1"],
      ...["-c:a", "libopus", "-frame_duration", "20", "-f", "ogg", "pipe:1"],
    ]).stdout;
    const packets = new OggPacketReader()
      .push(opus)
      .filter((p) => !/^Opus(Head|Tags)/.test(p.toString("latin1", 0, 8)));
    expect(packets.length).toBeGreaterThan(45);
    const payloads: Buffer[] = [];
    const decoder = new OpusToG711({ law: "PCMU", onPayload: (p) => payloads.push(p) });
    for (const packet of packets) decoder.push(packet, opusPacketSamples(packet));
    const deadline = Date.now() + 10_000;
    while (payloads.length < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    decoder.close();
    expect(payloads.length).toBeGreaterThanOrEqual(40);
    expect(payloads.every((p) => p.length === 160)).toBe(true);
    // ffmpeg's sine source is at 1/8 of full scale: ~2900 RMS once decoded from µ-law.
    const samples = payloads.slice(10).flatMap((p) => [...p].map(decodeMulaw));
    const rms = Math.sqrt(samples.reduce((sum, s) => sum + s * s, 0) / samples.length);
    expect(rms).toBeGreaterThan(2000);
    expect(rms).toBeLessThan(4000);
  });

  it("without ffmpeg: AAC is reported off, and a transcoder says why it ended", async () => {
    expect(await aacTranscoderMissing("/nonexistent/ffmpeg")).toBe("ffmpeg is not installed");
    expect(await aacTranscoderMissing()).toBeNull();
    const reason = await new Promise<string>((resolve) => {
      const transcoder = new AacToOpus({
        config: aacConfigFromFmtp(AAC_FMTP),
        ffmpeg: "/nonexistent/ffmpeg",
        onPacket: () => {},
        onExit: resolve,
      });
      transcoder.push(Buffer.from([0, 16, 0, 8, 0xaa]), true);
    });
    expect(reason).toMatch(/ENOENT/);
  });
});
