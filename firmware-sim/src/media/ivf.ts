// IVF is the simplest VP8 container: a 32-byte file header, then per frame a 12-byte header
// (little-endian size and 64-bit timestamp) followed by the raw frame.

export interface Vp8Frame {
  data: Buffer;
  /** Presentation time in the clip's timebase units (frames, for our 25 fps clip). */
  timestamp: number;
  keyframe: boolean;
}

export interface IvfClip {
  width: number;
  height: number;
  /** Frames per second, from the header's timebase. */
  frameRate: number;
  frames: Vp8Frame[];
}

export function parseIvf(file: Buffer): IvfClip {
  if (file.length < 32 || file.toString("ascii", 0, 4) !== "DKIF") throw new Error("not an IVF file");
  const fourcc = file.toString("ascii", 8, 12);
  if (fourcc !== "VP80") throw new Error(`IVF holds ${fourcc}, expected VP80`);
  const headerSize = file.readUInt16LE(6);
  const width = file.readUInt16LE(12);
  const height = file.readUInt16LE(14);
  const rate = file.readUInt32LE(16);
  const scale = file.readUInt32LE(20);
  const frames: Vp8Frame[] = [];
  let offset = headerSize;
  while (offset + 12 <= file.length) {
    const size = file.readUInt32LE(offset);
    const timestamp = Number(file.readBigUInt64LE(offset + 4));
    const start = offset + 12;
    if (start + size > file.length) throw new Error(`IVF frame at byte ${offset} is truncated`);
    const data = file.subarray(start, start + size);
    // VP8 frame tag, bit 0 of the first byte: 0 means a key frame (RFC 6386 §9.1).
    frames.push({ data, timestamp, keyframe: size > 0 && (data[0]! & 0x01) === 0 });
    offset = start + size;
  }
  if (frames.length === 0) throw new Error("IVF file has no frames");
  return { width, height, frameRate: scale > 0 ? rate / scale : 25, frames };
}

/** Index of the keyframe closest to `index` (ties go to the earlier one). */
export function nearestKeyframe(frames: readonly Vp8Frame[], index: number): number {
  let best = -1;
  for (let i = 0; i < frames.length; i++) {
    if (!frames[i]!.keyframe) continue;
    if (best < 0 || Math.abs(i - index) < Math.abs(best - index)) best = i;
  }
  if (best < 0) throw new Error("clip has no keyframe");
  return best;
}
