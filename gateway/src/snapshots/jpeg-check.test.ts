import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultStillFiles } from "../../../firmware-sim/src/stills.ts";
import { inspectJpeg } from "./jpeg-check.ts";

const still = readFileSync(defaultStillFiles[0]!);

/** A minimal marker layout: SOI, an APP0 segment, a SOFn frame header of the given size, SOS, EOI. */
function layout(sofMarker: number, width: number, height: number): Uint8Array {
  const app0 = [0xff, 0xe0, 0x00, 0x04, 0x00, 0x00];
  const sof = [0xff, sofMarker, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
  const sos = [0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 0x3f, 0];
  return Uint8Array.from([0xff, 0xd8, ...app0, ...sof, ...sos, 0x00, 0xff, 0xd9]);
}

describe("inspectJpeg", () => {
  it("reads the size of the simulator's stills (ffmpeg's baseline JPEG)", () => {
    expect(inspectJpeg(still)).toEqual({ ok: true, width: 640, height: 360 });
  });
  it("reads baseline and progressive frame headers, and skips fill bytes", () => {
    expect(inspectJpeg(layout(0xc0, 1280, 720))).toEqual({ ok: true, width: 1280, height: 720 });
    expect(inspectJpeg(layout(0xc2, 1920, 1080))).toEqual({ ok: true, width: 1920, height: 1080 });
    const filled = layout(0xc0, 64, 48);
    const withFill = Uint8Array.from([...filled.subarray(0, 2), 0xff, ...filled.subarray(2)]);
    expect(inspectJpeg(withFill)).toEqual({ ok: true, width: 64, height: 48 });
  });
  it("refuses what is not a whole JPEG of sane size", () => {
    const refusals: [string, Uint8Array][] = [
      ["empty", new Uint8Array()],
      ["PNG", Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
      ["cut short", still.subarray(0, still.length - 100)],
      ["no frame header", Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff, 0xd9])],
      ["DHT is not a frame", layout(0xc4, 640, 360)],
      ["too small", layout(0xc0, 8, 8)],
      ["too large", layout(0xc0, 9000, 360)],
      ["segment past the end", Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x7f, 0xff, 0xff, 0xd9])],
      ["garbage between segments", Uint8Array.from([0xff, 0xd8, 0x12, 0x34, 0x56, 0x78, 0xff, 0xd9])],
    ];
    for (const [what, bytes] of refusals) expect({ what, ...inspectJpeg(bytes) }).toMatchObject({ what, ok: false });
  });
});
