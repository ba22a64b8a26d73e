// First boot: trade the serial and the claim code printed on the box for MQTT credentials.
// A 4xx answer is the gateway's final word for this boot (wrong code, already claimed, revoked, unknown
// serial, too many tries): retrying would only burn the rate limit. Network errors and 5xx are the
// village uplink or the gateway having a bad moment, so those are retried with backoff until the
// camera is switched off.
import { setTimeout as sleep } from "node:timers/promises";
import { claimReply, receivedErrorReply, type claimBody } from "../../protocol/http.ts";
import type { z } from "zod";
import { backoffDelayMs, type BackoffPolicy } from "./backoff.ts";
import type { Logger } from "./log.ts";

export type ClaimReply = z.infer<typeof claimReply>;

export type ClaimOutcome =
  | { kind: "claimed"; reply: ClaimReply; attempts: number }
  | { kind: "refused"; httpStatus: number; error: string; message: string; attempts: number }
  | { kind: "aborted"; attempts: number };

export interface ClaimOptions {
  gatewayUrl: string;
  serial: string;
  claimCode: string;
  backoff: BackoffPolicy;
  log: Logger;
  signal?: AbortSignal;
  requestTimeoutMs?: number;
  random?: () => number;
  fetch?: typeof fetch;
}

export function claimUrl(gatewayUrl: string): string {
  return new URL("/api/v1/devices/claim", gatewayUrl).toString();
}

export async function claimDevice(options: ClaimOptions): Promise<ClaimOutcome> {
  const doFetch = options.fetch ?? fetch;
  const body: z.input<typeof claimBody> = { serial: options.serial, claimCode: options.claimCode };
  const url = claimUrl(options.gatewayUrl);
  let attempts = 0;
  for (;;) {
    if (options.signal?.aborted) return { kind: "aborted", attempts };
    attempts += 1;
    let retryReason: string;
    try {
      const timeout = AbortSignal.timeout(options.requestTimeoutMs ?? 10_000);
      const response = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      });
      const text = await response.text();
      if (response.ok) {
        const parsed = claimReply.safeParse(safeJson(text));
        if (parsed.success) return { kind: "claimed", reply: parsed.data, attempts };
        retryReason = `HTTP ${response.status} with a reply that is not a claimReply`;
      } else if (response.status >= 400 && response.status < 500) {
        const parsed = receivedErrorReply.safeParse(safeJson(text));
        return {
          kind: "refused",
          httpStatus: response.status,
          error: parsed.success ? parsed.data.error : `http-${response.status}`,
          message: parsed.success ? parsed.data.message : text.slice(0, 200),
          attempts,
        };
      } else {
        retryReason = `HTTP ${response.status}`;
      }
    } catch (error) {
      if (options.signal?.aborted) return { kind: "aborted", attempts };
      retryReason = describeFetchError(error);
    }
    const delayMs = backoffDelayMs(attempts - 1, options.backoff, options.random);
    options.log.warn({ url, attempt: attempts, retryInMs: delayMs, reason: retryReason }, "claim failed, will retry");
    try {
      await sleep(delayMs, undefined, { signal: options.signal });
    } catch {
      return { kind: "aborted", attempts };
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function describeFetchError(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === "TimeoutError") return "request timed out";
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(error);
}
