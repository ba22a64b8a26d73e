// Stills: the device takes a JPEG (its own `takeStill`: the simulator's stored frames, the bridge's camera
// snapshot URI) and PUTs it to the one-time URL the gateway sent with take-snapshot. The URL carries a secret:
// it is never logged, and no error message here repeats it.
import type { DeviceCommand } from "../../protocol/device-messages.ts";
import { receivedErrorReply } from "../../protocol/http.ts";

type TakeSnapshot = Extract<DeviceCommand, { name: "take-snapshot" }>["params"];

/** Takes one JPEG now; throws with a reason the answer can carry (no secret in it). */
export type TakeStill = (signal?: AbortSignal) => Promise<Buffer>;

const UPLOAD_TIMEOUT_MS = 15_000;

export interface StillUploaderOptions {
  takeStill: TakeStill;
  fetch?: typeof fetch;
}

export class StillUploader {
  readonly #takeStill: TakeStill;
  readonly #fetch: typeof fetch;

  constructor(options: StillUploaderOptions) {
    this.#takeStill = options.takeStill;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Takes a still and uploads it; throws with the gateway's error code when the upload is refused. */
  async post(params: TakeSnapshot, signal?: AbortSignal): Promise<{ bytes: number }> {
    const still = await this.#takeStill(signal);
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
