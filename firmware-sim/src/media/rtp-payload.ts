// RTP payload formats for what the camera sends: VP8 (RFC 7741) and Opus (RFC 7587).

/** Room for the RTP header, extensions werift adds and SRTP's auth tag inside a 1200-byte datagram. */
export const MAX_RTP_PAYLOAD = 1100;

/**
 * Splits one VP8 frame into RTP payloads, each with the RFC 7741 payload descriptor:
 * X=1 (an extension byte follows), S=1 on the first packet of the frame, partition index 0,
 * then I=1 and a 15-bit picture ID so that receivers can tell frames apart and detect loss.
 */
export function packetizeVp8(frame: Buffer, pictureId: number, maxPayload = MAX_RTP_PAYLOAD): Buffer[] {
  const descriptorSize = 4;
  const chunkSize = maxPayload - descriptorSize;
  const payloads: Buffer[] = [];
  for (let offset = 0; offset < frame.length || payloads.length === 0; offset += chunkSize) {
    const chunk = frame.subarray(offset, offset + chunkSize);
    const payload = Buffer.allocUnsafe(descriptorSize + chunk.length);
    payload[0] = 0x80 | (offset === 0 ? 0x10 : 0x00); // X | S, PID 0
    payload[1] = 0x80; // I: picture ID present
    payload.writeUInt16BE(0x8000 | (pictureId & 0x7fff), 2); // M=1: 15-bit picture ID
    chunk.copy(payload, descriptorSize);
    payloads.push(payload);
  }
  return payloads;
}

/** RFC 7587: one Opus packet is one RTP payload, unchanged. */
export function packetizeOpus(packet: Buffer): Buffer {
  return packet;
}
