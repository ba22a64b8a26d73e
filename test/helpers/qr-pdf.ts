// Reads back every QR code printed in a PDF: each page rendered by poppler's pdftoppm, then decoded with jsQR.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import { toolInstalled } from "./tools.ts";

/** Reading a sheet back renders it with poppler's pdftoppm (Debian poppler-utils). */
export const hasPdftoppm = toolInstalled("pdftoppm");

const run = promisify(execFile);
// jsqr is CommonJS with an ES default export: under NodeNext typing the callable is on .default.
const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ??
  jsQRModule) as unknown as typeof jsQRModule.default;

type Rect = { x: number; y: number; width: number; height: number };

/** jsQR finds one code per image and mixes up finder patterns of neighbours, so each label is cropped first. */
function decodeIn(png: PNG, rect: Rect): string | null {
  const [x0, y0] = [Math.round(rect.x), Math.round(rect.y)];
  const [w, h] = [Math.min(Math.round(rect.width), png.width - x0), Math.min(Math.round(rect.height), png.height - y0)];
  const pixels = new Uint8ClampedArray(w * h * 4);
  for (let row = 0; row < h; row++) {
    const from = ((y0 + row) * png.width + x0) * 4;
    pixels.set(png.data.subarray(from, from + w * 4), row * w * 4);
  }
  return jsQR(pixels, w, h, { inversionAttempts: "dontInvert" })?.data ?? null;
}

/** `slots` are the label rectangles of a page in PDF points (1/72 inch); a slot with no code is skipped. */
export async function decodePdfQrCodes(
  pdf: Buffer,
  slots: Rect[],
  options: { dpi?: number; keepPngAs?: string } = {},
): Promise<{ pages: number; codes: string[] }> {
  const dpi = options.dpi ?? 150;
  const dir = await mkdtemp(join(tmpdir(), "wx-labels-"));
  try {
    await writeFile(join(dir, "sheet.pdf"), pdf);
    await run("pdftoppm", ["-r", String(dpi), "-png", join(dir, "sheet.pdf"), join(dir, "page")]);
    const pages = (await readdir(dir)).filter((f) => f.startsWith("page")).sort();
    const codes: string[] = [];
    for (const page of pages) {
      const bytes = await readFile(join(dir, page));
      if (options.keepPngAs && page === pages[0]) await writeFile(options.keepPngAs, bytes);
      const png = PNG.sync.read(bytes);
      const scale = dpi / 72;
      for (const slot of slots) {
        const code = decodeIn(png, {
          x: slot.x * scale,
          y: slot.y * scale,
          width: slot.width * scale,
          height: slot.height * scale,
        });
        if (code) codes.push(code);
      }
    }
    return { pages: pages.length, codes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
