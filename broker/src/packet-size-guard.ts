// aedes has no packet size limit: its parser buffers a packet's whole body before looking at it, so one
// client declaring a 256 MB PUBLISH could make the broker hold 256 MB. This guard sits between the socket
// and aedes, reads only each packet's fixed header, and cuts the connection as soon as a header announces
// more than the limit, before any of that body is buffered.
import { Duplex } from "node:stream";
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
 * The stream aedes reads from and writes to: bytes from the socket pass through the meter untouched, and
 * writes go straight to the socket. Destroying either side destroys both.
 */
export class SizeGuardedConnection extends Duplex {
  /** aedes and its hook examples read the peer address from the connection. */
  readonly remoteAddress: string | undefined;
  private readonly meter: MqttPacketSizeMeter;

  constructor(private readonly socket: Socket, maxPacketBytes: number, onOversize: (declaredBytes: number) => void) {
    super({ allowHalfOpen: false });
    this.remoteAddress = socket.remoteAddress;
    this.meter = new MqttPacketSizeMeter(maxPacketBytes);
    socket.on("data", (chunk: Buffer) => {
      if (this.destroyed) return;
      const oversize = this.meter.feed(chunk);
      if (oversize !== null) {
        onOversize(oversize);
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on("end", () => this.push(null));
    socket.on("error", (err) => this.destroy(err));
    socket.on("close", () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.write(chunk)) callback();
    else this.socket.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
