// Ogg pages (RFC 3533) carrying Opus (RFC 7845). We need only the audio packets in order:
// the first two packets are the OpusHead and OpusTags headers.

export interface OpusClip {
  channels: number;
  /** Samples (at 48 kHz) the decoder should drop at the start; informative only for a looped stream. */
  preSkip: number;
  packets: Buffer[];
}

export function parseOggOpus(file: Buffer): OpusClip {
  const packets: Buffer[] = [];
  let pending: Buffer[] = [];
  let offset = 0;
  while (offset + 27 <= file.length) {
    if (file.toString("ascii", offset, offset + 4) !== "OggS") throw new Error(`no Ogg page at byte ${offset}`);
    const segmentCount = file[offset + 26]!;
    const lacing = file.subarray(offset + 27, offset + 27 + segmentCount);
    let body = offset + 27 + segmentCount;
    for (const segmentSize of lacing) {
      pending.push(file.subarray(body, body + segmentSize));
      body += segmentSize;
      // A lacing value below 255 ends a packet; 255 means it continues (possibly on the next page).
      if (segmentSize < 255) {
        packets.push(Buffer.concat(pending));
        pending = [];
      }
    }
    offset = body;
  }
  const head = packets[0];
  if (!head || head.toString("ascii", 0, 8) !== "OpusHead") throw new Error("not an Ogg/Opus file");
  const tags = packets[1];
  if (!tags || tags.toString("ascii", 0, 8) !== "OpusTags") throw new Error("Ogg/Opus file lacks OpusTags");
  return { channels: head[9]!, preSkip: head.readUInt16LE(10), packets: packets.slice(2) };
}
