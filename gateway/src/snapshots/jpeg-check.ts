// What the gateway checks in an uploaded still before keeping it: the bytes are one whole baseline or
// progressive JPEG (SOI first, EOI last), and the frame header (SOF) names dimensions a camera could produce.
// Decoding the picture is not needed for that, and would cost CPU per upload for nothing.

export const jpegDimensionBounds = { min: 16, max: 8192 } as const;

export type JpegInspection = { ok: true; width: number; height: number } | { ok: false; reason: string };

/** SOFn markers carry the frame size; C4 (DHT), C8 (reserved) and CC (DAC) share the range but are not frames. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers that stand alone, with no length field: TEM and the restart markers. */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

function checkDimensions(width: number, height: number): JpegInspection {
  const { min, max } = jpegDimensionBounds;
  if (width < min || height < min || width > max || height > max)
    return { ok: false, reason: `dimensions ${width}×${height} are outside ${min}–${max} pixels` };
  return { ok: true, width, height };
}

/** Walks the marker segments up to the first scan (SOS) and reads the frame header on the way. */
export function inspectJpeg(bytes: Uint8Array): JpegInspection {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return { ok: false, reason: "no SOI marker" };
  if (bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9)
    return { ok: false, reason: "no EOI marker at the end (cut short?)" };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return { ok: false, reason: `no marker at byte ${offset}` };
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte before a marker
      continue;
    }
    if (isStandalone(marker)) {
      offset += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return { ok: false, reason: "no frame header (SOF) before the scan" };
    const length = view.getUint16(offset + 2);
    if (length < 2 || offset + 2 + length > bytes.length) return { ok: false, reason: "a segment runs past the end" };
    if (isStartOfFrame(marker)) {
      if (length < 8) return { ok: false, reason: "frame header too short" };
      return checkDimensions(view.getUint16(offset + 7), view.getUint16(offset + 5));
    }
    offset += 2 + length;
  }
  return { ok: false, reason: "no frame header (SOF)" };
}
