// Just enough of the VP8 RTP payload descriptor (RFC 7741 §4.2) for the relay to spot keyframes.

/** True when this payload starts a VP8 key frame (S=1, partition 0, frame tag P bit 0). */
export function startsVp8Keyframe(payload: Buffer): boolean {
  const first = payload[0];
  if (first === undefined) return false;
  const startOfPartition0 = (first & 0x10) !== 0 && (first & 0x0f) === 0;
  if (!startOfPartition0) return false;
  let offset = 1;
  if (first & 0x80) {
    const ext = payload[offset++];
    if (ext === undefined) return false;
    if (ext & 0x80) {
      const pictureIdByte = payload[offset++];
      if (pictureIdByte === undefined) return false;
      if (pictureIdByte & 0x80) offset++; // 15-bit picture ID
    }
    if (ext & 0x40) offset++; // TL0PICIDX
    if (ext & 0x30) offset++; // TID / KEYIDX
  }
  const frameTag = payload[offset];
  return frameTag !== undefined && (frameTag & 0x01) === 0;
}
