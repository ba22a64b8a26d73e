// G.711 µ-law and A-law (ITU-T G.711), for a camera whose backchannel wants the other law than the one viewers
// were asked to send: each 8-bit sample is one lookup in a 256-entry table, built once through 16-bit linear.

/** µ-law byte → 16-bit linear (the inverse of encodeMulaw). */
export function decodeMulaw(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << exponent;
  return u & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
}

/** 16-bit linear → µ-law byte (bias 0x84, clipped at 32635). */
export function encodeMulaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(sample), 32_635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  magnitude = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | magnitude) & 0xff;
}

/** A-law byte → 16-bit linear (the inverse of encodeAlaw). */
export function decodeAlaw(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

/** 16-bit linear → A-law byte (13-bit segments, even bits inverted). */
export function encodeAlaw(sample: number): number {
  const sign = sample >= 0 ? 0x80 : 0;
  const magnitude = Math.min(sample >= 0 ? sample : -sample - 1, 32_767) >> 3;
  let exponent = 0;
  while (exponent < 7 && magnitude >> (exponent + 5) > 0) exponent++;
  const mantissa = exponent === 0 ? (magnitude >> 1) & 0x0f : (magnitude >> exponent) & 0x0f;
  return (sign | (exponent << 4) | mantissa) ^ 0x55;
}

function table(decode: (byte: number) => number, encode: (sample: number) => number): Uint8Array {
  const out = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) out[byte] = encode(decode(byte));
  return out;
}

const ALAW_TO_MULAW = table(decodeAlaw, encodeMulaw);
const MULAW_TO_ALAW = table(decodeMulaw, encodeAlaw);

export type G711 = "PCMA" | "PCMU";

/** The same audio in the other law (a new buffer); the same law is returned as it is. */
export function transcodeG711(payload: Buffer, from: G711, to: G711): Buffer {
  if (from === to) return payload;
  const lookup = from === "PCMA" ? ALAW_TO_MULAW : MULAW_TO_ALAW;
  const out = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = lookup[payload[i]!]!;
  return out;
}
