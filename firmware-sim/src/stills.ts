// The camera's stills: a JPEG of what the lens sees (stills cut once with ffmpeg from the clip the live stream
// plays, see media/README.md), PUT to the one-time URL the gateway sent with take-snapshot. The URL carries a
// secret: it is never logged, and no error message here repeats it.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { DeviceCommand } from "../../protocol/device-messages.ts";
import { receivedErrorReply } from "../../protocol/http.ts";

type TakeSnapshot = Extract<DeviceCommand, { name: "take-snapshot" }>["params"];

const mediaDir = fileURLToPath(new URL("../media/", import.meta.url));
export const defaultStillFiles = [1, 3, 5, 7].map((second) => `${mediaDir}home-still-${second}s.jpg`);

const UPLOAD_TIMEOUT_MS = 15_000;

export interface StillCameraOptions {
  files?: string[];
  fetch?: typeof fetch;
}

export class StillCamera {
  readonly #files: string[];
  readonly #fetch: typeof fetch;
  readonly #loaded = new Map<string, Buffer>();
  #next = 0;

  constructor(options: StillCameraOptions = {}) {
    this.#files = options.files ?? defaultStillFiles;
    this.#fetch = options.fetch ?? fetch;
  }

  /** The next still, as the scene moves on: the committed stills in turn. */
  async take(): Promise<Buffer> {
    const file = this.#files[this.#next++ % this.#files.length]!;
    let still = this.#loaded.get(file);
    if (!still) {
      still = await readFile(file);
      this.#loaded.set(file, still);
    }
    return still;
  }

  /** Takes a still and uploads it; throws with the gateway's error code when the upload is refused. */
  async post(params: TakeSnapshot, signal?: AbortSignal): Promise<{ bytes: number }> {
    const still = await this.take();
    if (still.length > params.maxBytes) throw new Error(`still of ${still.length} bytes is over ${params.maxBytes}`);
    const timeout = AbortSignal.timeout(UPLOAD_TIMEOUT_MS);
    let response: Response;
    try {
      response = await this.#fetch(params.uploadUrl, {
        method: "PUT",
        headers: { "content-type": "image/jpeg" },
        body: new Uint8Array(still),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      // fetch's own message ("fetch failed") names no URL; its cause might, so the message keeps only its code.
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      throw new Error(`upload failed: ${(error as Error).message}${typeof code === "string" ? ` (${code})` : ""}`, {
        cause: error,
      });
    }
    if (response.status !== 201) throw new Error(`upload refused: ${response.status} ${await errorCode(response)}`);
    await response.body?.cancel();
    return { bytes: still.length };
  }
}

async function errorCode(response: Response): Promise<string> {
  const parsed = receivedErrorReply.safeParse(await response.json().catch(() => null));
  return parsed.success ? parsed.data.error : "(no error reply)";
}
