// Cluster mode: sessions ended on one gateway are forgotten by every other at once. The ending is published on a
// Redis channel every gateway subscribes to; each gateway drops those sessions from its memory, tells its own
// subscribers (live sockets close), and acknowledges. The ender waits for as many acknowledgements as Redis
// delivered the message to, at most SESSION_MEMORY_MS: after that no gateway can still remember the sessions
// anyway. While this gateway's subscription is down it cannot hear endings, so it remembers nothing until the
// subscription is back (and then starts from an empty memory).
import type { Redis } from "ioredis";
import { z } from "zod";
import { SESSION_MEMORY_MS } from "../../../core/session-memory.ts";
import { liveCloseReasons } from "../../../protocol/accounts.ts";
import { randomId } from "../../../core/secrets.ts";
import type { EndedSessions, SessionChannel, Sessions } from "./sessions.ts";

const id = z.string().min(1).max(128);
const ending = z.object({
  from: id,
  id,
  ended: z.object({
    scope: z.union([z.object({ sessionId: id, userId: id }), z.object({ userId: id, exceptSessionId: id.optional() })]),
    reason: z.enum(liveCloseReasons),
  }),
});
const acknowledgement = z.object({ to: id, id, from: id });

interface Logger {
  warn(o: object, msg?: string): void;
}

export class RedisSessionChannel implements SessionChannel {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #endings: string;
  readonly #acks: string;
  readonly #waiting = new Map<string, (from: string) => void>();
  #listening = false;

  constructor(
    publisher: Redis,
    private readonly sessions: Sessions,
    channelPrefix: string,
    private readonly gatewayId: string,
    private readonly log: Logger,
  ) {
    this.#publisher = publisher;
    this.#subscriber = publisher.duplicate();
    this.#endings = `${channelPrefix}sessions-ended`;
    this.#acks = `${channelPrefix}sessions-ended-ack`;
    this.#subscriber.on("error", (err: Error) => log.warn({ err: err.message }, "session channel: Redis error"));
  }

  get listening(): boolean {
    return this.#listening;
  }

  async start(): Promise<void> {
    this.#subscriber.on("message", (channel: string, text: string) => this.#receive(channel, text));
    this.#subscriber.on("close", () => {
      this.#listening = false;
    });
    // ioredis subscribes again when it reconnects; endings sent meanwhile were missed, so memory starts afresh.
    this.#subscriber.on("ready", () => void this.#listen().catch(() => undefined));
    this.sessions.useChannel(this);
    await this.#listen();
  }

  async stop(): Promise<void> {
    this.#listening = false;
    this.#subscriber.disconnect();
  }

  async announce(ended: EndedSessions): Promise<void> {
    const message = { from: this.gatewayId, id: randomId("end_"), ended };
    const acknowledged = new Set<string>();
    let expected = Infinity;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, SESSION_MEMORY_MS);
      this.#waiting.set(message.id, (from) => {
        acknowledged.add(from);
        if (acknowledged.size >= expected) {
          clearTimeout(timer);
          resolve();
        }
      });
      const delivered = this.#publisher.publish(this.#endings, JSON.stringify(message));
      delivered.then(
        (receivers) => {
          // Our own subscriber is one of the receivers; it does not acknowledge itself.
          expected = receivers - (this.#listening ? 1 : 0);
          if (acknowledged.size >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
        (err: Error) => this.log.warn({ err: err.message }, "session channel: could not publish an ending"),
      );
    });
    await done.finally(() => this.#waiting.delete(message.id));
  }

  async #listen(): Promise<void> {
    await this.#subscriber.subscribe(this.#endings, this.#acks);
    this.sessions.forgetAll();
    this.#listening = true;
  }

  #receive(channel: string, text: string): void {
    try {
      if (channel === this.#acks) {
        const ack = acknowledgement.parse(JSON.parse(text));
        if (ack.to === this.gatewayId) this.#waiting.get(ack.id)?.(ack.from);
        return;
      }
      const message = ending.parse(JSON.parse(text));
      if (message.from === this.gatewayId) return;
      this.sessions.heard(message.ended as EndedSessions);
      void this.#publisher
        .publish(this.#acks, JSON.stringify({ to: message.from, id: message.id, from: this.gatewayId }))
        .catch((err: Error) => this.log.warn({ err: err.message }, "session channel: could not acknowledge"));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "session channel: unreadable message");
    }
  }
}
