// AAC → Opus for the camera's audio (browsers decode no AAC over WebRTC): an ffmpeg child reads ADTS on stdin
// and writes Ogg Opus on stdout, one 20 ms packet per page; the Opus packets become RTP at 48 kHz. Only audio
// is transcoded (video stays untouched), ~1–2 % of a core. ffmpeg is optional on a bridge box: without it (or
// without its libopus encoder) the camera streams video only, and its health detail says why.
import { spawn, type ChildProcess } from "node:child_process";
import { RtpHeader, RtpPacket } from "werift";
import { adtsFrame, AacDepacketizer, type AacConfig } from "./aac-rtp.ts";

/** Samples at 48 kHz in one Opus packet, from its TOC byte (RFC 6716 §3.1). */
export function opusPacketSamples(packet: Buffer): number {
  const toc = packet[0] ?? 0;
  const config = toc >> 3;
  const frameTenthsMs =
    config < 12
      ? [100, 200, 400, 600][config & 3]!
      : config < 16
        ? [100, 200][config & 1]!
        : [25, 50, 100, 200][config & 3]!;
  const code = toc & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : (packet[1] ?? 0) & 0x3f;
  return (frames * frameTenthsMs * 48) / 10;
}

/** Packets out of an Ogg stream (RFC 3533), fed in arbitrary chunks. */
export class OggPacketReader {
  private buffered: Buffer = Buffer.alloc(0);
  private partial: Buffer[] = [];

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const packets: Buffer[] = [];
    while (this.buffered.length >= 27) {
      if (this.buffered.toString("latin1", 0, 4) !== "OggS") throw new Error("not an Ogg stream");
      const segments = this.buffered[26]!;
      const headerLength = 27 + segments;
      if (this.buffered.length < headerLength) break;
      const lacing = this.buffered.subarray(27, headerLength);
      const bodyLength = lacing.reduce((sum, value) => sum + value, 0);
      if (this.buffered.length < headerLength + bodyLength) break;
      let offset = headerLength;
      for (const value of lacing) {
        this.partial.push(this.buffered.subarray(offset, offset + value));
        offset += value;
        if (value < 255) {
          packets.push(Buffer.concat(this.partial));
          this.partial = [];
        }
      }
      this.buffered = this.buffered.subarray(headerLength + bodyLength);
    }
    return packets;
  }
}

export interface AacToOpusOptions {
  config: AacConfig;
  onPacket(packet: RtpPacket): void;
  /** ffmpeg ended on its own (its reason in a sentence); the stream goes on without audio. */
  onExit?(reason: string): void;
  ffmpeg?: string;
}

/** One camera's audio through ffmpeg while its stream is pulled. */
export class AacToOpus {
  private readonly child: ChildProcess;
  private readonly depacketizer: AacDepacketizer;
  private readonly ogg = new OggPacketReader();
  private timestamp = Math.floor(Math.random() * 0x100000000);
  private closed = false;
  private stderr = "";

  constructor(private readonly options: AacToOpusOptions) {
    this.depacketizer = new AacDepacketizer(options.config);
    this.child = spawn(options.ffmpeg ?? "ffmpeg", ffmpegArgs(options.config.channels), {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout!.on("data", (chunk: Buffer) => this.fromFfmpeg(chunk));
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-300)));
    this.child.stdin!.on("error", () => {}); // ffmpeg gone: its exit says why
    this.child.once("error", (error) => this.ended(error.message));
    this.child.once("close", (code) => this.ended(`ffmpeg exited (${code}) ${this.stderr.trim()}`.trim()));
  }

  /** One RTP payload of the camera's MPEG4-GENERIC track. */
  push(payload: Buffer, marker: boolean): void {
    if (this.closed) return;
    for (const unit of this.depacketizer.push(payload, marker))
      this.child.stdin!.write(adtsFrame(this.options.config, unit));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin!.end();
    this.child.kill("SIGTERM");
  }

  private fromFfmpeg(chunk: Buffer): void {
    let packets: Buffer[];
    try {
      packets = this.ogg.push(chunk);
    } catch (error) {
      this.ended((error as Error).message);
      this.close();
      return;
    }
    for (const opus of packets) {
      if (opus.length < 2 || /^Opus(Head|Tags)/.test(opus.toString("latin1", 0, 8))) continue;
      const header = new RtpHeader({ timestamp: this.timestamp, marker: false, payloadType: 0, ssrc: 0 });
      this.timestamp = (this.timestamp + opusPacketSamples(opus)) >>> 0;
      this.options.onPacket(new RtpPacket(header, opus));
    }
  }

  private ended(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.options.onExit?.(reason);
  }
}

/** Low delay: no input probing or buffering, 20 ms Opus frames, an Ogg page per packet, flushed at once. */
function ffmpegArgs(channels: number): string[] {
  return [
    ...["-hide_banner", "-loglevel", "error", "-fflags", "nobuffer", "-probesize", "32", "-analyzeduration", "0"],
    ...["-f", "aac", "-i", "pipe:0", "-vn", "-c:a", "libopus", "-b:a", channels > 1 ? "48k" : "32k"],
    ...["-ar", "48000", "-ac", channels > 1 ? "2" : "1", "-frame_duration", "20"],
    ...["-f", "ogg", "-page_duration", "20000", "-flush_packets", "1", "pipe:1"],
  ];
}
