// What the notifier needs from an SMS or voice provider, and how a provider's refusals are sorted: the
// notifier retries what is safe to retry (the provider was unreachable or busy) and never what it refused.

export type ProviderName = "aliyun" | "tencent";

/** One message: the number (E.164), the provider's template id, and the template's values in order. */
export interface ProviderMessage {
  phone: string;
  templateId: string;
  params: [name: string, value: string][];
}

export interface ProviderReceipt {
  /** The provider's id of the message or call (BizId, SerialNo, CallId), for the message log and receipts. */
  messageId: string;
}

/** What the provider learnt from the operator about a message it took: delivered to the phone, or not. */
export interface DeliveryReceipt {
  messageId: string;
  delivered: boolean;
  error: string | null;
}

export interface SmsProvider {
  readonly name: ProviderName;
  sendSms(message: ProviderMessage): Promise<ProviderReceipt>;
  /** The delivery receipts the provider has for these sent messages (those it has none for yet are left out). */
  pullReceipts(sent: { messageId: string; phone: string; sentAt: Date }[]): Promise<DeliveryReceipt[]>;
}

export interface VoiceProvider {
  readonly name: ProviderName;
  callVoice(message: ProviderMessage): Promise<ProviderReceipt>;
}

/**
 * unavailable: no answer, a timeout, a server error, the API's own rate limit: the message may be sent again.
 * throttled: the provider's per-number flow control (it refuses to bother this number now).
 * rejected: anything else the provider refused (a bad number, a template not approved, no balance).
 */
export type ProviderFailure = "unavailable" | "throttled" | "rejected";

export class ProviderError extends Error {
  constructor(
    readonly failure: ProviderFailure,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/** The error of a call into an SDK, sorted; `throttleCodes` and `busyCodes` are the provider's own codes. */
export function classifyProviderError(
  error: unknown,
  codes: { throttled: RegExp; unavailable: RegExp },
): ProviderError {
  if (error instanceof ProviderError) return error;
  const e = error as { code?: unknown; statusCode?: unknown; httpCode?: unknown; message?: unknown; name?: string };
  const code = typeof e.code === "string" ? e.code : "";
  const status = Number(e.statusCode ?? e.httpCode ?? 0);
  const message = String(e.message ?? error).slice(0, 300);
  if (codes.throttled.test(code)) return new ProviderError("throttled", code, message);
  if (codes.unavailable.test(code) || status >= 500 || status === 429 || !code)
    return new ProviderError("unavailable", code || "no-answer", message);
  return new ProviderError("rejected", code, message);
}
