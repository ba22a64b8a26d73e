// Web Push (RFC 8030 delivery, RFC 8291 encryption, RFC 8292 VAPID) through the web-push library. The VAPID
// key pair is made once and kept in the database, so every gateway of a deployment signs with the same key
// and browsers' subscriptions survive restarts. A push service answering 404 or 410 means the subscription
// is gone for good (the app was uninstalled, the browser unsubscribed): it is deleted.
import { Agent } from "node:https";
import webpush from "web-push";
import type { Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import type { PushPayload } from "../../../protocol/calls.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { PushEndpointPolicy } from "./push-endpoints.ts";

interface Logger {
  warn(o: object, msg?: string): void;
}

const VAPID_SECRET = "vapid-keys";
type VapidKeys = { publicKey: string; privateKey: string };

export interface PushSubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  deviceName?: string | undefined;
}

export interface WebPushOptions {
  db: Database;
  metrics: GatewayMetrics;
  log: Logger;
  /** VAPID "sub": where a push service can reach the operator (mailto: or https:). */
  subject: string;
  /** Which push services may be reached, and only at public addresses. */
  endpoints: PushEndpointPolicy;
  /** Extra certificate authorities to trust for push services (tests play one with their own CA). */
  ca?: string | Buffer | undefined;
}

export class WebPush {
  #keys: Promise<VapidKeys> | null = null;
  readonly #o: WebPushOptions;
  readonly #agent: Agent;

  constructor(options: WebPushOptions) {
    this.#o = options;
    this.#agent = new Agent({ lookup: options.endpoints.lookup, ...(options.ca ? { ca: options.ca } : {}) });
  }

  /** The VAPID keys, made on first use and kept (two gateways racing: the first write wins, both use it). */
  keys(): Promise<VapidKeys> {
    if (this.#keys) return this.#keys;
    const loading = this.#loadKeys();
    this.#keys = loading;
    loading.catch(() => {
      if (this.#keys === loading) this.#keys = null;
    }); // a database hiccup: try again next time
    return loading;
  }

  async publicKey(): Promise<string> {
    return (await this.keys()).publicKey;
  }

  async #loadKeys(): Promise<VapidKeys> {
    const { db } = this.#o;
    const stored = await db.gatewaySecret.findUnique({ where: { name: VAPID_SECRET } });
    if (stored) return JSON.parse(stored.value) as VapidKeys;
    await db.gatewaySecret
      .createMany({ data: [{ name: VAPID_SECRET, value: JSON.stringify(webpush.generateVAPIDKeys()) }] })
      .catch(() => undefined);
    return JSON.parse((await db.gatewaySecret.findUniqueOrThrow({ where: { name: VAPID_SECRET } })).value) as VapidKeys;
  }

  /** One row per browser endpoint: subscribing again (same endpoint) moves it to this user with new keys. */
  async subscribe(userId: string, input: PushSubscriptionInput): Promise<string> {
    await this.#o.endpoints.check(input.endpoint);
    const data = { userId, p256dh: input.keys.p256dh, auth: input.keys.auth, deviceName: input.deviceName ?? null };
    const row = await this.#o.db.pushSubscription.upsert({
      where: { endpoint: input.endpoint },
      update: data,
      create: { id: randomId("push_", 12), endpoint: input.endpoint, ...data },
    });
    return row.id;
  }

  async unsubscribe(userId: string, endpoint: string): Promise<boolean> {
    const { count } = await this.#o.db.pushSubscription.deleteMany({ where: { userId, endpoint } });
    return count > 0;
  }

  /** Sends to every subscription of these users; never throws (a push is a best-effort nudge). */
  async sendToUsers(
    userIds: string[],
    payload: PushPayload,
    options: { ttlS: number; urgency: "high" | "normal" },
  ): Promise<void> {
    if (userIds.length === 0) return;
    try {
      const keys = await this.keys();
      const subscriptions = await this.#o.db.pushSubscription.findMany({ where: { userId: { in: userIds } } });
      await Promise.all(subscriptions.map((s) => this.#sendOne(keys, s, payload, options)));
    } catch (error) {
      this.#o.log.warn({ err: (error as Error).message }, "pushes not sent");
    }
  }

  async #sendOne(
    keys: VapidKeys,
    s: { id: string; endpoint: string; p256dh: string; auth: string },
    payload: PushPayload,
    options: { ttlS: number; urgency: "high" | "normal" },
  ) {
    const { metrics, log, db } = this.#o;
    try {
      // Checked again now: the list may have changed, and a name may resolve elsewhere than when it was stored.
      await this.#o.endpoints.check(s.endpoint);
    } catch (error) {
      metrics.pushes.inc({ kind: payload.kind, outcome: "refused" });
      log.warn({ subscription: s.id, err: (error as Error).message }, "push endpoint refused");
      return;
    }
    try {
      await webpush.sendNotification(
        { endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } },
        JSON.stringify(payload),
        {
          vapidDetails: { subject: this.#o.subject, ...keys },
          TTL: options.ttlS,
          urgency: options.urgency,
          topic: payload.tag.slice(0, 32).replace(/[^A-Za-z0-9_-]/g, "-"),
          contentEncoding: "aes128gcm",
          timeout: 10_000,
          agent: this.#agent,
        },
      );
      metrics.pushes.inc({ kind: payload.kind, outcome: "sent" });
      await db.pushSubscription.updateMany({ where: { id: s.id }, data: { lastUsedAt: new Date() } });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404 || status === 410) {
        metrics.pushes.inc({ kind: payload.kind, outcome: "expired" });
        await db.pushSubscription.deleteMany({ where: { id: s.id } }).catch(() => undefined);
        return;
      }
      metrics.pushes.inc({ kind: payload.kind, outcome: "failed" });
      log.warn({ subscription: s.id, status, err: (error as Error).message.slice(0, 200) }, "push not delivered");
    }
  }
}
