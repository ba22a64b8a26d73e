// Cluster mode (REDIS_URL), built from the configuration: one ingest leader among the gateways, live events
// shared (device-plane/cluster.ts), guess limits counted in Redis, sign-outs heard everywhere, and each
// camera's stream held by one gateway that the others route to. Alone, the gateway leads itself and counts
// here. Part of the composition root; nothing here does I/O until app.ts starts it.
import type { FastifyBaseLogger } from "fastify";
import { Redis } from "ioredis";
import { pubSubPrefix } from "../../broker/src/cluster.ts";
import { localGuessLimiters, type GuessLimiterFactory } from "./access/attempt-limiter.ts";
import { RedisSessionChannel } from "./access/session-channel.ts";
import type { Sessions } from "./access/sessions.ts";
import { redisGuessLimiters } from "./access/shared-attempt-limiter.ts";
import type { GatewayConfig } from "./config.ts";
import { HubBridge, RedisLeadership, soleLeadership, type Leadership } from "./device-plane/cluster.ts";
import type { LiveHub } from "./events/live-hub.ts";
import { ClusterCuts } from "./live-view/cluster-cuts.ts";
import type { LiveViewService } from "./live-view/live-view-service.ts";
import { StreamOwners } from "./live-view/stream-owners.ts";

export interface ClusterParts {
  hub: LiveHub;
  log: FastifyBaseLogger;
  liveView: LiveViewService | null;
  sessions: Sessions;
  /** How the other gateways reach this one (read when a stream is claimed: the port is known once HTTP listens). */
  internalUrl(): string;
}

export function createCluster(config: GatewayConfig, { hub, log, liveView, sessions, internalUrl }: ClusterParts) {
  const redisUrl = config.broker.cluster?.redisUrl;
  if (!redisUrl) return alone(log);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  redis.on("error", (err: Error) => log.warn({ err: err.message }, "Redis error"));
  const leadership = new RedisLeadership(redis, config.INGEST_LEADER_TTL_MS, log);
  const prefix = pubSubPrefix(redisUrl);
  const streamOwners = liveView
    ? new StreamOwners({
        redis,
        self: () => ({ gatewayId: leadership.id, url: internalUrl() }),
        ttlMs: config.STREAM_OWNER_TTL_MS,
        holdsStream: (cameraId) => liveView.holdsStream(cameraId),
        log,
      })
    : null;
  return {
    redis,
    leadership: leadership as Leadership,
    hubBridge: new HubBridge(redis, hub, prefix, leadership.id, log),
    guessLimiters: redisGuessLimiters(redis, log),
    streamOwners,
    clusterCuts: liveView ? new ClusterCuts(redis, liveView, prefix, leadership.id, log) : null,
    sessionChannel: new RedisSessionChannel(redis, sessions, prefix, leadership.id, log),
  };
}

function alone(log: FastifyBaseLogger) {
  return {
    redis: null,
    leadership: soleLeadership(log),
    hubBridge: null,
    guessLimiters: localGuessLimiters as GuessLimiterFactory,
    streamOwners: null,
    clusterCuts: null,
    sessionChannel: null,
  };
}

export type Cluster = ReturnType<typeof createCluster>;
