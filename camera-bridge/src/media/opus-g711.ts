// Talk-back to a camera that sends AAC (heard as Opus) but plays G.711: viewers talk in Opus, the section's
// codec, and an ffmpeg child decodes it to the backchannel's law. Opus goes in as Ogg on stdin (a page per
// packet), raw A-law or µ-law comes out on stdout and is cut into 20 ms RTP payloads (160 bytes at 8 kHz).
import { spawn, type ChildProcess } from "node:child_process";
import type { G711 } from "./g711.ts";

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's page checksum (CRC-32, polynomial 0x04c11db7, not reflected, computed with the field zeroed). */
function oggCrc(page: Buffer): number {
  let crc = 0;
  for (const byte of page) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

/** Ogg pages of one logical stream, one packet per page (RFC 3533; RFC 7845 for Opus). */
export class OggPageWriter {
  private sequence = 0;
  private readonly serial = Math.floor(Math.random() * 0xffffffff);

  page(packet: Buffer, granule: bigint, flags = 0): Buffer {
    const lacing: number[] = [];
    for (let left = packet.length; ; left -= 255) {
      lacing.push(Math.min(left, 255));
      if (left < 255) break;
    }
    const header = Buffer.alloc(27 + lacing.length);
    header.write("OggS", 0, "latin1");
    header[5] = flags;
    header.writeBigUInt64LE(granule, 6);
    header.writeUInt32LE(this.serial, 14);
    header.writeUInt32LE(this.sequence++, 18);
    header[26] = lacing.length;
    Buffer.from(lacing).copy(header, 27);
    const page = Buffer.concat([header, packet]);
    page.writeUInt32LE(oggCrc(page), 22);
    return page;
  }
}

/** The two header packets of an Ogg Opus stream: stereo at 48 kHz, the usual 3.75 ms pre-skip. */
export function opusHeaders(): [Buffer, Buffer] {
  const head = Buffer.alloc(19);
  head.write("OpusHead", 0, "latin1");
  head[8] = 1; // version
  head[9] = 2; // channels: WebRTC's opus/48000/2
  head.writeUInt16LE(312, 10);
  head.writeUInt32LE(48_000, 12);
  const vendor = Buffer.from("wangxiang-bridge");
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write("OpusTags", 0, "latin1");
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  return [head, tags];
}

export interface OpusToG711Options {
  law: G711;
  /** One 20 ms payload (160 samples) for the camera's backchannel. */
  onPayload(payload: Buffer): void;
  onExit?(reason: string): void;
  ffmpeg?: string;
}

export class OpusToG711 {
  private readonly child: ChildProcess;
  private readonly ogg = new OggPageWriter();
  private granule = 0n;
  private pending: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(private readonly options: OpusToG711Options) {
    const format = options.law === "PCMA" ? "alaw" : "mulaw";
    this.child = spawn(
      options.ffmpeg ?? "ffmpeg",
      [
        ...["-hide_banner", "-loglevel", "error", "-fflags", "nobuffer", "-probesize", "32", "-analyzeduration", "0"],
        ...["-f", "ogg", "-i", "pipe:0", "-ar", "8000", "-ac", "1", "-f", format, "-flush_packets", "1", "pipe:1"],
      ],
      { stdio: ["pipe", "pipe", "ignore"] },
    );
    this.child.stdout!.on("data", (chunk: Buffer) => this.fromFfmpeg(chunk));
    this.child.stdin!.on("error", () => {}); // ffmpeg gone: its exit says why
    this.child.once("error", (error) => this.ended(error.message));
    this.child.once("close", (code) => this.ended(`ffmpeg exited (${code})`));
    const [head, tags] = opusHeaders();
    this.child.stdin!.write(this.ogg.page(head, 0n, 0x02));
    this.child.stdin!.write(this.ogg.page(tags, 0n));
  }

  /** One Opus packet from a viewer (its RTP payload), `samples` long at 48 kHz. */
  push(packet: Buffer, samples: number): void {
    if (this.closed || packet.length === 0) return;
    this.granule += BigInt(samples);
    this.child.stdin!.write(this.ogg.page(packet, this.granule));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin!.end();
    this.child.kill("SIGTERM");
  }

  private fromFfmpeg(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 160) {
      this.options.onPayload(Buffer.from(this.pending.subarray(0, 160)));
      this.pending = this.pending.subarray(160);
    }
  }

  private ended(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.options.onExit?.(reason);
  }
}
