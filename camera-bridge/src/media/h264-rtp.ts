// H.264 in RTP (RFC 6184, packetization-mode 1) as the bridge passes it through: it reads what a payload
// carries (keyframe start, parameter sets) and cuts payloads bigger than a WebRTC datagram allows into FU-A
// fragments. Nothing is decoded or re-encoded.

export const NAL_IDR = 5;
export const NAL_SPS = 7;
export const NAL_PPS = 8;
const STAP_A = 24;
const FU_A = 28;

/** Room for the RTP header, werift's header extensions and SRTP's tag inside a 1200-byte datagram. */
export const MAX_WEBRTC_PAYLOAD = 1100;

export interface PayloadInfo {
  /** NAL unit types this payload starts or carries whole (a FU-A continuation carries none). */
  nalTypes: number[];
  /** It begins an IDR picture (a whole IDR NAL, one in a STAP-A, or the first FU-A fragment of one). */
  idrStart: boolean;
}

export function inspectPayload(payload: Buffer): PayloadInfo {
  if (payload.length === 0) return { nalTypes: [], idrStart: false };
  const type = payload[0]! & 0x1f;
  let nalTypes: number[];
  if (type === STAP_A) nalTypes = stapUnits(payload).map((unit) => unit[0]! & 0x1f);
  else if (type === FU_A) nalTypes = payload.length > 1 && payload[1]! & 0x80 ? [payload[1]! & 0x1f] : [];
  else nalTypes = [type];
  return { nalTypes, idrStart: nalTypes.includes(NAL_IDR) };
}

/** The NAL units of a STAP-A (a malformed length ends the list rather than reading past the payload). */
export function stapUnits(payload: Buffer): Buffer[] {
  const units: Buffer[] = [];
  let offset = 1;
  while (offset + 2 <= payload.length) {
    const size = payload.readUInt16BE(offset);
    offset += 2;
    if (size === 0 || offset + size > payload.length) break;
    units.push(payload.subarray(offset, offset + size));
    offset += size;
  }
  return units;
}

/** One STAP-A payload carrying these NAL units (SPS and PPS before a keyframe). */
export function buildStapA(units: Buffer[]): Buffer {
  const nri = Math.max(...units.map((u) => u[0]! & 0x60));
  const parts: Buffer[] = [Buffer.from([nri | STAP_A])];
  for (const unit of units) {
    const size = Buffer.allocUnsafe(2);
    size.writeUInt16BE(unit.length);
    parts.push(size, unit);
  }
  return Buffer.concat(parts);
}

/** SPS and PPS from the SDP's sprop-parameter-sets (base64, comma-separated). */
export function parameterSetsFromSdp(spropParameterSets: string | undefined): Buffer[] {
  if (!spropParameterSets) return [];
  return spropParameterSets
    .split(",")
    .map((b64) => Buffer.from(b64.trim(), "base64"))
    .filter((unit) => unit.length > 0 && [NAL_SPS, NAL_PPS].includes(unit[0]! & 0x1f));
}

/** FU-A fragments of one NAL unit (RFC 6184 §5.8), each at most `max` bytes. */
function fragment(nal: Buffer, max: number): Buffer[] {
  const indicator = (nal[0]! & 0xe0) | FU_A;
  const type = nal[0]! & 0x1f;
  const body = nal.subarray(1);
  const chunk = max - 2;
  const out: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += chunk) {
    const start = offset === 0 ? 0x80 : 0;
    const end = offset + chunk >= body.length ? 0x40 : 0;
    out.push(Buffer.concat([Buffer.from([indicator, start | end | type]), body.subarray(offset, offset + chunk)]));
  }
  return out;
}

/** A FU-A fragment cut smaller: the start bit stays on the first piece, the end bit on the last. */
function refragment(payload: Buffer, max: number): Buffer[] {
  const [indicator, fuHeader] = [payload[0]!, payload[1]!];
  const body = payload.subarray(2);
  const chunk = max - 2;
  const out: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += chunk) {
    const last = offset + chunk >= body.length;
    const flags = (offset === 0 ? fuHeader & 0x80 : 0) | (last ? fuHeader & 0x40 : 0);
    out.push(
      Buffer.concat([Buffer.from([indicator, flags | (fuHeader & 0x1f)]), body.subarray(offset, offset + chunk)]),
    );
  }
  return out;
}

/**
 * Payloads as they may leave over WebRTC: unchanged when small enough (the usual case: cameras packetise
 * for a 1500-byte MTU and most send under it), else cut (a STAP-A into its units, big units into FU-A).
 */
export function fitPayload(payload: Buffer, max = MAX_WEBRTC_PAYLOAD): Buffer[] {
  if (payload.length <= max) return [payload];
  const type = payload[0]! & 0x1f;
  if (type === FU_A) return refragment(payload, max);
  if (type === STAP_A) return stapUnits(payload).flatMap((unit) => (unit.length <= max ? [unit] : fragment(unit, max)));
  return fragment(payload, max);
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/**
 * One picture's RTP payloads (single NAL units, STAP-A, FU-A) as an H.264 elementary stream (Annex B, start
 * codes): what a decoder reads from a file or pipe. A FU-A fragment without its start is dropped.
 */
export function keyframeAnnexB(payloads: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  let fragments: Buffer[] | null = null;
  for (const payload of payloads) {
    if (payload.length < 2) continue;
    const type = payload[0]! & 0x1f;
    if (type === STAP_A) for (const unit of stapUnits(payload)) parts.push(START_CODE, unit);
    else if (type !== FU_A) parts.push(START_CODE, payload);
    else {
      const start = (payload[1]! & 0x80) !== 0;
      const end = (payload[1]! & 0x40) !== 0;
      if (start) fragments = [Buffer.from([(payload[0]! & 0xe0) | (payload[1]! & 0x1f)])];
      fragments?.push(payload.subarray(2));
      if (end && fragments) {
        parts.push(START_CODE, Buffer.concat(fragments));
        fragments = null;
      }
    }
  }
  return Buffer.concat(parts);
}
