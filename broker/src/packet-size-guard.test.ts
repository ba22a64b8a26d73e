import { describe, expect, it } from "vitest";
import { MqttPacketSizeMeter } from "./packet-size-guard.ts";

/** One MQTT packet with a body of `bodyBytes` zeros: type byte, variable-length remaining length, body. */
function frame(bodyBytes: number, typeByte = 0x30): Buffer {
  const length: number[] = [];
  let rest = bodyBytes;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    length.push(byte);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([typeByte, ...length]), Buffer.alloc(bodyBytes)]);
}

describe("MqttPacketSizeMeter", () => {
  const stream = Buffer.concat([
    frame(0, 0xc0),
    frame(10),
    frame(127),
    frame(128),
    frame(16_383),
    frame(16_384),
    frame(0, 0xe0),
  ]);

  it("passes a stream of packets within the limit however it is split", () => {
    const limit = 16_384 + 4;
    for (let split = 0; split <= stream.length; split += split < 300 ? 1 : 97) {
      const meter = new MqttPacketSizeMeter(limit);
      expect(meter.feed(stream.subarray(0, split)), `split at ${split}`).toBeNull();
      expect(meter.feed(stream.subarray(split)), `split at ${split}`).toBeNull();
    }
  });

  it("passes the same stream fed one byte at a time", () => {
    const meter = new MqttPacketSizeMeter(16_384 + 4);
    const verdicts = [...stream].map((byte) => meter.feed(Uint8Array.of(byte)));
    expect(verdicts.every((verdict) => verdict === null)).toBe(true);
  });

  it("reports an oversize packet as soon as its length is known, before any of its body", () => {
    const meter = new MqttPacketSizeMeter(200);
    const header = frame(300).subarray(0, 3); // 0x30, 0xac, 0x02
    expect(meter.feed(frame(50))).toBeNull();
    expect(meter.feed(header.subarray(0, 2))).toBeNull();
    expect(meter.feed(header.subarray(2))).toBe(1 + 2 + 300);
  });

  it("counts the fixed header in the size: a packet of exactly the limit passes, one byte more does not", () => {
    expect(new MqttPacketSizeMeter(1 + 1 + 100).feed(frame(100))).toBeNull();
    expect(new MqttPacketSizeMeter(1 + 1 + 100).feed(frame(101))).toBe(103);
  });

  it("finds an oversize packet behind others in the same chunk", () => {
    const meter = new MqttPacketSizeMeter(1024);
    expect(meter.feed(Buffer.concat([frame(10), frame(1000), frame(5000).subarray(0, 4)]))).toBe(1 + 2 + 5000);
  });

  it("reports the largest length MQTT can express, and a length field longer than 4 bytes", () => {
    expect(new MqttPacketSizeMeter(64 * 1024).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]))).toBe(
      1 + 4 + 268_435_455,
    );
    expect(new MqttPacketSizeMeter(64 * 1024).feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))).toBe(Infinity);
  });
});
