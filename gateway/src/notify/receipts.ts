// Delivery receipts, pulled: every RECEIPT_PULL_INTERVAL_S the gateway asks the SMS provider what became of the
// messages it took in the last day (Alibaba Cloud QuerySendDetails, Tencent Cloud PullSmsSendStatus) and marks
// them delivered or undelivered in the message log. Pulling needs no address the provider can call into.
import type { Database } from "../../../core/database.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { SmsProvider } from "./provider.ts";

export interface ReceiptPullerOptions {
  db: Database;
  provider: SmsProvider;
  metrics: GatewayMetrics;
  log: { warn(o: object, msg?: string): void };
  intervalMs: number;
}

const DAY_MS = 86_400_000;
/** Messages asked about per pass (Alibaba Cloud answers one message per request). */
const BATCH = 50;

export class ReceiptPuller {
  readonly #o: ReceiptPullerOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<number> | null = null;

  constructor(options: ReceiptPullerOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#o.intervalMs <= 0) return;
    this.#timer = setInterval(() => void this.pull(), this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One pass, one at a time; resolves to the number of messages whose state changed. Never rejects. */
  pull(): Promise<number> {
    this.#running ??= this.#pull()
      .catch((error: Error) => {
        this.#o.log.warn({ err: error.message }, "delivery receipts not pulled");
        return 0;
      })
      .finally(() => (this.#running = null));
    return this.#running;
  }

  async #pull(): Promise<number> {
    const { db, provider, metrics } = this.#o;
    const sent = await db.messageLog.findMany({
      where: {
        channel: "sms",
        provider: provider.name,
        state: "sent",
        providerMessageId: { not: null },
        createdAt: { gte: new Date(Date.now() - DAY_MS) },
      },
      orderBy: { createdAt: "asc" },
      take: BATCH,
    });
    if (sent.length === 0) return 0;
    const receipts = await provider.pullReceipts(
      sent.map((m) => ({ messageId: m.providerMessageId!, phone: m.phone, sentAt: m.createdAt })),
    );
    let changed = 0;
    for (const r of receipts) {
      const state = r.delivered ? "delivered" : "undelivered";
      const { count } = await db.messageLog.updateMany({
        where: { providerMessageId: r.messageId, provider: provider.name, state: "sent" },
        data: { state, error: r.error, updatedAt: new Date() },
      });
      if (count > 0) metrics.receipts.inc({ state });
      changed += count;
    }
    return changed;
  }
}
