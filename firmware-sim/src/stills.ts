// The simulated camera's lens for stills: JPEGs cut once with ffmpeg from the clip the live stream plays (see
// media/README.md), taken in turn as the scene moves on. Uploading them is the device client's (stills.ts there).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const mediaDir = fileURLToPath(new URL("../media/", import.meta.url));
export const defaultStillFiles = [1, 3, 5, 7].map((second) => `${mediaDir}home-still-${second}s.jpg`);

export class ClipStills {
  readonly #files: string[];
  readonly #loaded = new Map<string, Buffer>();
  #next = 0;

  constructor(files: string[] = defaultStillFiles) {
    this.#files = files;
  }

  /** The next still: the committed stills in turn. */
  async take(): Promise<Buffer> {
    const file = this.#files[this.#next++ % this.#files.length]!;
    let still = this.#loaded.get(file);
    if (!still) {
      still = await readFile(file);
      this.#loaded.set(file, still);
    }
    return still;
  }
}
