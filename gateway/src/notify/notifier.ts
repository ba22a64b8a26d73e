// The one way the gateway reaches people outside the open app: Web Push, SMS and voice notification calls,
// each through whichever provider the configuration names (or none). Every SMS and call is written to the
// message log before it is sent and updated after, counts against the household's and the deployment's daily
// caps, and is retried only where a second copy is harmless (never a sign-in code). Callers choose who and
// when (quiet hours, the member's choice); the notifier only sends, logs and counts.
import type { Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import type { PushPayload } from "../../../protocol/calls.ts";
import type { ChannelsView } from "../../../protocol/phone.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { ProviderError, type ProviderName, type SmsProvider, type VoiceProvider } from "./provider.ts";

export type SmsTemplate =
  "sign-in-code" | "call-waiting" | "camera-offline" | "camera-back" | "wellbeing-check" | "wellbeing-visit";
export type VoiceTemplate = "call-voice";
export type MessageTemplate = SmsTemplate | VoiceTemplate;

/** The values each template takes, in the order Tencent's positional templates number them ({1}, {2}). */
export const TEMPLATE_PARAMS = {
  "sign-in-code": ["code", "minutes"],
  "call-waiting": ["name", "link"],
  "call-voice": ["name"],
  "camera-offline": ["name", "minutes"],
  "camera-back": ["name"],
  "wellbeing-check": ["name"],
  "wellbeing-visit": ["village", "name", "phone"],
} as const satisfies Record<MessageTemplate, readonly string[]>;
type ParamsOf<T extends MessageTemplate> = Record<(typeof TEMPLATE_PARAMS)[T][number], string>;

export interface Recipient {
  /** E.164 */
  phone: string;
  userId?: string | null;
  householdId?: string | null;
  callId?: string | null;
}

export type SendResult =
  | { state: "sent"; logId: string; messageId: string }
  | { state: "failed" | "refused" | "skipped"; logId: string | null; reason: string };

/** What the notifier hands Web Push to (the calls part's WebPush). */
export interface PushChannel {
  sendToUsers(
    userIds: string[],
    payload: PushPayload,
    options: { ttlS: number; urgency: "high" | "normal" },
  ): Promise<void>;
}

export interface Notifier {
  readonly channels: ChannelsView;
  /** Web Push to every browser of these users; never throws. */
  push(userIds: string[], payload: PushPayload, options: { ttlS: number; urgency: "high" | "normal" }): Promise<void>;
  /** One SMS; `once`: never send a second copy (codes), even when the first may not have gone. Never throws. */
  sms<T extends SmsTemplate>(
    to: Recipient,
    template: T,
    params: ParamsOf<T>,
    options?: { once?: boolean },
  ): Promise<SendResult>;
  /** One voice notification call; never retried (a second ring is worse than none). Never throws. */
  voice<T extends VoiceTemplate>(to: Recipient, template: T, params: ParamsOf<T>): Promise<SendResult>;
}

export interface NotifierOptions {
  db: Database;
  metrics: GatewayMetrics;
  log: { warn(o: object, msg?: string): void };
  push: PushChannel;
  sms: SmsProvider | null;
  voice: VoiceProvider | null;
  /** The provider's template ids (Chinese SMS and voice send only approved templates). */
  templateIds: Partial<Record<MessageTemplate, string>>;
  /** SMS and calls per household, and for the whole deployment, in any 24 hours. */
  householdDailyCap: number;
  deploymentDailyCap: number;
  /** Waits before the second and third try of a message the provider did not take (unavailable). */
  retryDelaysMs: number[];
}

const DAY_MS = 86_400_000;
/** States of messages that cost (or may have cost) money: what the caps count. */
const COUNTED_STATES = ["queued", "sent", "failed", "delivered", "undelivered"];

export function createNotifier(options: NotifierOptions): Notifier {
  return new ProviderNotifier(options);
}

class ProviderNotifier implements Notifier {
  readonly channels: ChannelsView;
  readonly #o: NotifierOptions;

  constructor(options: NotifierOptions) {
    this.#o = options;
    this.channels = { push: true, sms: options.sms?.name ?? null, voice: options.voice?.name ?? null };
  }

  push(userIds: string[], payload: PushPayload, options: { ttlS: number; urgency: "high" | "normal" }) {
    return this.#o.push.sendToUsers(userIds, payload, options);
  }

  sms<T extends SmsTemplate>(to: Recipient, template: T, params: ParamsOf<T>, options: { once?: boolean } = {}) {
    const provider = this.#o.sms;
    return this.#send(
      "sms",
      provider?.name ?? null,
      to,
      template,
      params,
      options.once ? 1 : 1 + this.#o.retryDelaysMs.length,
      (m) => provider!.sendSms(m),
    );
  }

  voice<T extends VoiceTemplate>(to: Recipient, template: T, params: ParamsOf<T>) {
    const provider = this.#o.voice;
    return this.#send("voice", provider?.name ?? null, to, template, params, 1, (m) => provider!.callVoice(m));
  }

  async #send(
    channel: "sms" | "voice",
    provider: ProviderName | null,
    to: Recipient,
    template: MessageTemplate,
    params: Record<string, string>,
    tries: number,
    deliver: (m: { phone: string; templateId: string; params: [string, string][] }) => Promise<{ messageId: string }>,
  ): Promise<SendResult> {
    const { metrics } = this.#o;
    const templateId = this.#o.templateIds[template];
    if (!provider || !templateId) {
      metrics.messages.inc({ channel, template, outcome: "skipped" });
      return { state: "skipped", logId: null, reason: provider ? "no-template" : "no-provider" };
    }
    try {
      const refusal = await this.#capReached(to.householdId ?? null);
      const logId = await this.#log(channel, provider, template, to, refusal ? "refused" : "queued", refusal);
      if (refusal) {
        metrics.messages.inc({ channel, template, outcome: "refused" });
        return { state: "refused", logId, reason: refusal };
      }
      const ordered = TEMPLATE_PARAMS[template].map((name): [string, string] => [name, params[name] ?? ""]);
      return await this.#deliver(logId, tries, () => deliver({ phone: to.phone, templateId, params: ordered }), {
        channel,
        template,
      });
    } catch (error) {
      // The database failed around the send: logged here, and the caller carries on.
      this.#o.log.warn({ channel, template, err: (error as Error).message }, "message not sent");
      metrics.messages.inc({ channel, template, outcome: "failed" });
      return { state: "failed", logId: null, reason: "internal" };
    }
  }

  async #deliver(
    logId: string,
    tries: number,
    attempt: () => Promise<{ messageId: string }>,
    labels: { channel: string; template: string },
  ): Promise<SendResult> {
    const { metrics, log } = this.#o;
    let last: ProviderError | null = null;
    for (let n = 1; n <= tries; n++) {
      if (n > 1) await sleep(this.#o.retryDelaysMs[n - 2] ?? 0);
      try {
        const { messageId } = await attempt();
        await this.#update(logId, { state: "sent", providerMessageId: messageId, attempts: n, error: null });
        metrics.messages.inc({ ...labels, outcome: "sent" });
        return { state: "sent", logId, messageId };
      } catch (error) {
        last = error instanceof ProviderError ? error : new ProviderError("unavailable", "", String(error));
        metrics.providerErrors.inc({ channel: labels.channel, failure: last.failure });
        await this.#update(logId, {
          state: "failed",
          attempts: n,
          error: `${last.code}: ${last.message}`.slice(0, 300),
        });
        if (last.failure !== "unavailable") break;
      }
    }
    log.warn({ logId, ...labels, code: last?.code, failure: last?.failure }, "provider did not take the message");
    metrics.messages.inc({ ...labels, outcome: "failed" });
    return { state: "failed", logId, reason: last?.failure ?? "unavailable" };
  }

  /** Which daily cap this message would pass, if any. */
  async #capReached(householdId: string | null): Promise<string | null> {
    const { db } = this.#o;
    const since = new Date(Date.now() - DAY_MS);
    const counted = { createdAt: { gte: since }, state: { in: COUNTED_STATES } };
    if (householdId && (await db.messageLog.count({ where: { ...counted, householdId } })) >= this.#o.householdDailyCap)
      return "household-daily-cap";
    if ((await db.messageLog.count({ where: counted })) >= this.#o.deploymentDailyCap) return "deployment-daily-cap";
    return null;
  }

  async #log(
    channel: "sms" | "voice",
    provider: ProviderName,
    template: MessageTemplate,
    to: Recipient,
    state: "queued" | "refused",
    error: string | null,
  ): Promise<string> {
    const now = new Date();
    const row = await this.#o.db.messageLog.create({
      data: {
        id: randomId("msg_", 12),
        createdAt: now,
        updatedAt: now,
        channel,
        provider,
        template,
        phone: to.phone,
        userId: to.userId ?? null,
        householdId: to.householdId ?? null,
        callId: to.callId ?? null,
        state,
        error,
      },
    });
    return row.id;
  }

  async #update(
    logId: string,
    data: { state: string; attempts: number; error: string | null; providerMessageId?: string },
  ): Promise<void> {
    await this.#o.db.messageLog.update({ where: { id: logId }, data: { ...data, updatedAt: new Date() } });
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
