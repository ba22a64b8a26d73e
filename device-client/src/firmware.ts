// Firmware download: fetch the image, hash it while it streams in, compare with the digest the gateway sent.
// A real camera would then write the image to its inactive partition; the simulator keeps only the version.
import { createHash } from "node:crypto";
import { describeFetchError } from "./claim.ts";

export type FirmwareDownload = { ok: true; bytes: number; sha256: string } | { ok: false; error: string };

export interface FirmwareDownloadOptions {
  signal?: AbortSignal;
  maxBytes?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export async function downloadFirmware(
  url: string,
  expectedSha256: string,
  options: FirmwareDownloadOptions = {},
): Promise<FirmwareDownload> {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await (options.fetch ?? fetch)(url, { signal });
    if (!response.ok || !response.body) return { ok: false, error: `download failed: HTTP ${response.status}` };
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      if (bytes > maxBytes) return { ok: false, error: `download failed: image larger than ${maxBytes} bytes` };
      hash.update(chunk);
    }
    const actual = hash.digest("hex");
    if (actual !== expectedSha256) return { ok: false, error: "sha256 mismatch" };
    return { ok: true, bytes, sha256: actual };
  } catch (error) {
    return { ok: false, error: `download failed: ${describeFetchError(error)}` };
  }
}
