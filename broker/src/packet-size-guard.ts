// aedes has no packet size limit: its parser buffers a packet's whole body before looking at it, so one
// client declaring a 256 MB PUBLISH could make the broker hold 256 MB. This guard watches the bytes aedes
// reads, follows only each packet's fixed header, and cuts the connection as soon as a header announces
// more than the limit, before that body is buffered.
import type { Socket } from "node:net";

/**
 * Follows the MQTT framing of a byte stream, chunk by chunk: a type byte, a "remaining length" of 1 to 4
 * bytes (7 bits each, high bit = more follows), then that many body bytes, which it skips without keeping.
 */
export class MqttPacketSizeMeter {
  private phase: "type" | "length" | "body" = "type";
  private remainingLength = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private bodyBytesLeft = 0;

  constructor(readonly maxPacketBytes: number) {}

  /**
   * Returns null while every packet seen so far fits, otherwise the total size the first offending packet
   * declared (Infinity for a remaining length that runs past 4 bytes, which no valid packet has).
   */
  feed(chunk: Uint8Array): number | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.phase === "body") {
        const skipped = Math.min(this.bodyBytesLeft, chunk.length - i);
        this.bodyBytesLeft -= skipped;
        i += skipped;
        if (this.bodyBytesLeft === 0) this.phase = "type";
        continue;
      }
      const byte = chunk[i++]!;
      if (this.phase === "type") {
        this.phase = "length";
        this.remainingLength = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.remainingLength += (byte & 0x7f) * this.multiplier;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return Infinity;
        this.multiplier *= 128;
        continue;
      }
      const totalBytes = 1 + this.lengthBytes + this.remainingLength;
      if (totalBytes > this.maxPacketBytes) return totalBytes;
      this.bodyBytesLeft = this.remainingLength;
      this.phase = this.bodyBytesLeft > 0 ? "body" : "type";
    }
    return null;
  }
}

/**
 * Watches the bytes aedes reads from each socket and destroys a socket as soon as a packet header announces
 * more than the limit. aedes reads with read() on "readable", which emits "data" with the same bytes just
 * before it parses them, so the meter sees every byte first; at most the one chunk already read reaches
 * aedes' parser. (This replaced a Duplex wrapper around each socket: same guarantee, a fraction of the memory
 * per connection and one less copy per packet.) One guard serves every socket of a broker: a connection
 * costs a meter and a WeakMap entry, and all share one listener.
 */
export class PacketSizeGuard {
  private readonly meters = new WeakMap<Socket, MqttPacketSizeMeter>();
  private readonly onData: (this: Socket, chunk: Buffer) => void;

  constructor(
    private readonly maxPacketBytes: number,
    onOversize: (socket: Socket, declaredBytes: number) => void,
  ) {
    const meters = this.meters;
    // A function (not an arrow): the socket that emitted "data" is its `this`.
    this.onData = function (this: Socket, chunk: Buffer) {
      if (this.destroyed) return;
      const oversize = meters.get(this)?.feed(chunk) ?? null;
      if (oversize === null) return;
      onOversize(this, oversize);
      this.destroy();
    };
  }

  watch(socket: Socket): void {
    this.meters.set(socket, new MqttPacketSizeMeter(this.maxPacketBytes));
    socket.on("data", this.onData);
  }
}
