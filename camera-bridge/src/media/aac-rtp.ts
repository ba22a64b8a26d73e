// AAC from an IP camera: RTP MPEG4-GENERIC (RFC 3640, AAC-hbr / AAC-lbr) cut into access units, each written
// as an ADTS frame (the self-describing AAC stream ffmpeg reads from a pipe), from the SDP's AudioSpecificConfig.

export interface AacConfig {
  /** ADTS profile: audio object type - 1 (AAC LC: 1). */
  profile: number;
  samplingIndex: number;
  channels: number;
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
}

class BitReader {
  private bit = 0;
  constructor(private readonly bytes: Buffer) {}
  read(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++, this.bit++) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new Error("AudioSpecificConfig too short");
      value = (value << 1) | ((byte >> (7 - (this.bit & 7))) & 1);
    }
    return value;
  }
}

/**
 * The camera's fmtp (keys lower-cased): `config` (AudioSpecificConfig in hex) and the AU header sizes.
 * Throws with the reason when ADTS cannot carry it (an explicit sampling rate, an unusual object type).
 */
export function aacConfigFromFmtp(fmtp: Record<string, string>): AacConfig {
  const mode = (fmtp.mode ?? "").toLowerCase();
  if (mode !== "aac-hbr" && mode !== "aac-lbr") throw new Error(`MPEG4-GENERIC mode ${fmtp.mode ?? "(none)"}`);
  if (!/^([0-9a-f]{2}){2,}$/i.test(fmtp.config ?? "")) throw new Error("no AudioSpecificConfig in the SDP");
  const bits = new BitReader(Buffer.from(fmtp.config!, "hex"));
  let objectType = bits.read(5);
  const samplingIndex = bits.read(4);
  if (samplingIndex === 15) throw new Error("an explicit AAC sampling rate");
  const channels = bits.read(4);
  // HE-AAC signalled explicitly (SBR 5, PS 29): ADTS carries the core AAC, the decoder finds SBR in-band.
  if (objectType === 5 || objectType === 29) {
    bits.read(4);
    objectType = bits.read(5);
  }
  if (objectType < 1 || objectType > 4) throw new Error(`AAC object type ${objectType}`);
  if (channels < 1 || channels > 7) throw new Error(`AAC channel configuration ${channels}`);
  const number = (key: string, fallback: number) => (/^\d{1,2}$/.test(fmtp[key] ?? "") ? Number(fmtp[key]) : fallback);
  const sizeLength = number("sizelength", mode === "aac-hbr" ? 13 : 6);
  const indexLength = number("indexlength", mode === "aac-hbr" ? 3 : 2);
  const indexDeltaLength = number("indexdeltalength", indexLength);
  if (sizeLength < 1) throw new Error("no AU sizes in the RTP payload");
  return { profile: objectType - 1, samplingIndex, channels, sizeLength, indexLength, indexDeltaLength };
}

/** A 7-byte ADTS header (no CRC) in front of one access unit. */
export function adtsFrame(config: AacConfig, accessUnit: Buffer): Buffer {
  const length = accessUnit.length + 7;
  const header = Buffer.from([
    0xff,
    0xf1,
    ((config.profile & 3) << 6) | (config.samplingIndex << 2) | ((config.channels >> 2) & 1),
    ((config.channels & 3) << 6) | ((length >> 11) & 3),
    (length >> 3) & 0xff,
    ((length & 7) << 5) | 0x1f,
    0xfc,
  ]);
  return Buffer.concat([header, accessUnit]);
}

/** Access units out of RTP payloads, including one split across packets (it ends at the marker). */
export class AacDepacketizer {
  private fragment: Buffer[] = [];
  private fragmentSize = 0;
  private fragmentTotal = 0;

  constructor(private readonly config: AacConfig) {}

  push(payload: Buffer, marker: boolean): Buffer[] {
    if (payload.length < 2) return [];
    const headerBits = payload.readUInt16BE(0);
    const headerBytes = Math.ceil(headerBits / 8);
    if (2 + headerBytes > payload.length) return [];
    const sizes = this.auSizes(payload.subarray(2, 2 + headerBytes), headerBits);
    let data = payload.subarray(2 + headerBytes);
    if (this.fragmentTotal > 0) return this.continueFragment(data, marker);
    const units: Buffer[] = [];
    for (const size of sizes) {
      if (size > data.length) {
        // The first piece of an access unit too big for one packet.
        if (sizes.length === 1 && !marker) this.startFragment(data, size);
        break;
      }
      units.push(data.subarray(0, size));
      data = data.subarray(size);
    }
    return units;
  }

  private auSizes(headers: Buffer, headerBits: number): number[] {
    const { sizeLength, indexLength, indexDeltaLength } = this.config;
    const bits = new BitReader(headers);
    const sizes: number[] = [];
    let used = 0;
    for (let first = true; used + sizeLength <= headerBits; first = false) {
      const indexBits = first ? indexLength : indexDeltaLength;
      sizes.push(bits.read(sizeLength));
      bits.read(indexBits);
      used += sizeLength + indexBits;
    }
    return sizes;
  }

  private startFragment(data: Buffer, total: number): void {
    this.fragment = [Buffer.from(data)];
    this.fragmentSize = data.length;
    this.fragmentTotal = total;
  }

  private continueFragment(data: Buffer, marker: boolean): Buffer[] {
    this.fragment.push(Buffer.from(data));
    this.fragmentSize += data.length;
    if (!marker && this.fragmentSize < this.fragmentTotal) return [];
    const whole = Buffer.concat(this.fragment);
    const complete = whole.length >= this.fragmentTotal;
    const total = this.fragmentTotal;
    this.fragment = [];
    this.fragmentSize = 0;
    this.fragmentTotal = 0;
    return complete ? [whole.subarray(0, total)] : [];
  }
}
