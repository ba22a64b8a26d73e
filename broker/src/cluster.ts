// Cluster mode: several broker processes share one Redis. aedes' own cluster engines do the work:
// mqemitter-redis carries every publish to every broker (so a command reaches a camera whichever broker it
// is on), aedes-persistence-redis holds subscriptions of persistent sessions, their queued QoS 1 messages,
// retained messages (the cameras' status) and wills. This file adds the one thing aedes leaves open (see
// broker/README.md, "Cluster mode"): a camera that moves to another broker leaves its will stored under the
// old broker's id, and when that broker is dead aedes would later publish it, retained, over the camera's
// fresh "online". So each broker records itself in a Redis sorted set, and a device that connects has its
// wills under every other recently alive broker deleted.
import { Redis } from "ioredis";
import mqemitterRedis from "mqemitter-redis";
// aedes 1.x calls the promise API but reads streams (retained, outgoing, wills) as Node streams: the
// package's main export is that adapter around the async implementation.
import redisPersistence from "aedes-persistence-redis";

/** Sorted set: broker id → last time it said it was alive (ms). */
const brokersKey = "wangxiang:brokers";

export interface ClusterOptions {
  redisUrl: string;
  /** aedes heartbeat: a broker silent for 3 of these is dead and its devices' wills are published. */
  heartbeatMs: number;
}

export interface ClusterEngines {
  mq: unknown;
  persistence: {
    delWill(client: { id: string; brokerId: string }): Promise<unknown>;
    destroy(): Promise<void>;
  };
  /** Call once aedes has its id. */
  register(brokerId: string): Promise<void>;
  /** Deletes the wills this device left on other brokers (it is connected here now). */
  dropForeignWills(deviceId: string): Promise<void>;
  close(): Promise<void>;
}

/** The Redis database number in REDIS_URL (redis://host:6379/3 → "3"). */
export function redisDatabaseOf(redisUrl: string): string {
  return new URL(redisUrl).pathname.slice(1) || "0";
}

/** Pub/sub ignores Redis database numbers: channels carry this prefix so clusters on different databases of one Redis stay apart. */
export const pubSubPrefix = (redisUrl: string) => `wangxiang:${redisDatabaseOf(redisUrl)}:`;

export function createClusterEngines(options: ClusterOptions, onError: (err: Error) => void): ClusterEngines {
  // MQEmitterRedisPrefix is exported at run time but missing from the package's typings.
  const { MQEmitterRedisPrefix } = mqemitterRedis as unknown as { MQEmitterRedisPrefix: unknown };
  const mq = new (MQEmitterRedisPrefix as new (prefix: string, o: object) => object)(pubSubPrefix(options.redisUrl), {
    connectionString: options.redisUrl,
  });
  (mq as unknown as { state: NodeJS.EventEmitter }).state.on("error", onError);
  const db = new Redis(options.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  db.on("error", onError);
  const persistence = redisPersistence({ conn: db }) as ClusterEngines["persistence"];
  let brokerId = "";
  let others: string[] = [];
  let timer: NodeJS.Timeout | null = null;

  async function refresh(): Promise<void> {
    const now = Date.now();
    await db.zadd(brokersKey, now, brokerId);
    // A broker dead for longer than this has had its wills published (or taken over) already.
    const horizon = now - Math.max(60_000, options.heartbeatMs * 20);
    await db.zremrangebyscore(brokersKey, 0, horizon);
    others = (await db.zrange(brokersKey, 0, -1)).filter((id) => id !== brokerId);
  }

  return {
    mq,
    persistence,
    async register(id) {
      brokerId = id;
      await refresh();
      timer = setInterval(() => void refresh().catch(onError), options.heartbeatMs);
      timer.unref();
    },
    async dropForeignWills(deviceId) {
      await Promise.all(others.map((other) => persistence.delWill({ id: deviceId, brokerId: other })));
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = null;
      // Keep this broker in the set: its wills (if any were left) still have to be recognised as foreign.
      await persistence.destroy().catch(() => undefined);
      db.disconnect();
    },
  };
}
