// Several gateways on one Redis (REDIS_URL). HTTP is stateless (sessions are rows in the database), but two
// things must not be done by every gateway at once: handling device messages (every gateway's MQTT client
// would otherwise see every status and heartbeat, and each would write it) and the periodic jobs (offline
// alerts, telemetry pruning). One gateway, the ingest leader, does them; it holds a Redis lease
// (SET NX PX, renewed every third of its lifetime, released on stop) and the others stand by and take over
// when the lease lapses. Every gateway still sends commands and hears their responses (its MQTT client
// always subscribes to devices/+/cmd/response), and live events (LiveHub) are shared over Redis pub/sub so a
// browser connected to any gateway sees what any gateway observed. See README, "Scaling out".
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { TypedEvents, type EventSource, type ListenerErrorLog } from "../../../core/events.ts";
import type { ServerMessage } from "../../../protocol/ws.ts";
import type { LiveHub } from "../events/live-hub.ts";

interface Logger extends ListenerErrorLog {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface LeadershipEvents {
  change: [leader: boolean];
}

export interface Leadership {
  readonly isLeader: boolean;
  readonly events: EventSource<LeadershipEvents>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One gateway alone: always the leader. */
export function soleLeadership(log: ListenerErrorLog): Leadership {
  const events = new TypedEvents<LeadershipEvents>({ log, name: "leadership" });
  return { isLeader: true, events, async start() {}, async stop() {} };
}

/** Work that runs on the ingest leader only: two gateways would raise every alert twice. */
export interface LeaderJob {
  start(): unknown;
  stop(): unknown;
}

/**
 * Runs the jobs while this gateway leads and stops them when it no longer does (they move with leadership);
 * returns what stops following and stops them, in the order given.
 */
export function runWhileLeader(
  leadership: Leadership,
  jobs: Record<string, LeaderJob>,
  log: ListenerErrorLog,
): () => Promise<void> {
  let running = false;
  const follow = (leader: boolean) => {
    if (leader === running) return;
    running = leader;
    for (const [job, part] of Object.entries(jobs))
      Promise.resolve(leader ? part.start() : part.stop()).catch((err: unknown) =>
        log.error({ err, job }, leader ? "leader job did not start" : "leader job did not stop"),
      );
  };
  const stopFollowing = leadership.events.on("change", follow);
  follow(leadership.isLeader);
  return async () => {
    stopFollowing();
    for (const part of Object.values(jobs)) await part.stop();
  };
}

const renewScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const releaseScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export const ingestLeaderKey = "wangxiang:ingest-leader";

export class RedisLeadership implements Leadership {
  readonly #events: TypedEvents<LeadershipEvents>;
  private leader = false;
  /** Until when this gateway may act as leader without a renewal (local clock, with a safety margin). */
  private leaseUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
    private readonly log: Logger,
    readonly id = randomUUID(),
  ) {
    this.#events = new TypedEvents<LeadershipEvents>({ log, name: "leadership" });
  }

  get events(): EventSource<LeadershipEvents> {
    return this.#events;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.leader) {
      this.setLeader(false);
      // Hand over at once instead of letting the standby wait for the lease to lapse.
      await this.redis.eval(releaseScript, 1, ingestLeaderKey, this.id).catch(() => undefined);
    }
  }

  private async tick(): Promise<void> {
    const startedAt = Date.now();
    try {
      const held = this.leader
        ? (await this.redis.eval(renewScript, 1, ingestLeaderKey, this.id, String(this.ttlMs))) === 1
        : (await this.redis.set(ingestLeaderKey, this.id, "PX", this.ttlMs, "NX")) === "OK";
      if (this.stopped) return;
      if (held) this.leaseUntil = startedAt + this.ttlMs - Math.floor(this.ttlMs / 5);
      this.setLeader(held);
    } catch (err) {
      // Redis unreachable: keep leading only while the lease we hold cannot have lapsed.
      this.log.warn({ err: (err as Error).message }, "ingest leadership: Redis unreachable");
      if (this.leader && Date.now() >= this.leaseUntil) this.setLeader(false);
    }
  }

  private setLeader(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.log.info(
      { gatewayId: this.id, leader },
      leader ? "this gateway is now the ingest leader" : "this gateway stands by (another one ingests device messages)",
    );
    this.#events.emit("change", leader);
  }
}

/** Live events cross gateways: each publishes what it observes, and delivers what the others observed. */
export class HubBridge {
  private readonly subscriber: Redis;
  private readonly channel: string;
  private stopForwarding: () => void = () => {};

  constructor(
    private readonly publisher: Redis,
    private readonly hub: LiveHub,
    channelPrefix: string,
    private readonly gatewayId: string,
    private readonly log: Logger,
  ) {
    this.subscriber = publisher.duplicate();
    this.subscriber.on("error", (err: Error) => log.warn({ err: err.message }, "live event bridge: Redis error"));
    this.channel = `${channelPrefix}live-events`;
  }

  async start(): Promise<void> {
    this.subscriber.on("message", (_channel: string, text: string) => {
      try {
        const event = JSON.parse(text) as {
          from: string;
          message: ServerMessage;
          scope?: { deviceId: string; householdId: string | null; membersOnly?: boolean; userIds?: string[] };
        };
        if (event.from !== this.gatewayId) this.hub.deliverLocally(event.message, event.scope);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "live event bridge: unreadable event");
      }
    });
    await this.subscriber.subscribe(this.channel);
    this.stopForwarding = this.hub.events.on("publish", (message, scope) => {
      this.publisher
        .publish(this.channel, JSON.stringify({ from: this.gatewayId, message, scope }))
        .catch((err: Error) => this.log.warn({ err: err.message }, "live event bridge: could not publish"));
    });
  }

  async stop(): Promise<void> {
    this.stopForwarding();
    this.subscriber.disconnect();
  }
}
