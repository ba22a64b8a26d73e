// Live view as the composition root builds it: the service (before start, so grants answer app.inject()), the
// relay's pool started beside it, and in cluster mode the routing of requests to the gateway that holds a stream.
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { Database } from "../../../core/database.ts";
import { createRelayPool, iceServerSource, type RelayPool } from "../../../relay/src/index.ts";
import type { GatewayConfig } from "../config.ts";
import type { CommandDispatcher } from "../device-plane/command-dispatcher.ts";
import type { DeviceStateTracker } from "../device-plane/device-state.ts";
import type { LiveHub } from "../events/live-hub.ts";
import { localCuts, type ClusterCuts, type LiveViewCuts } from "./cluster-cuts.ts";
import { LiveViewService, type LiveViewServiceOptions } from "./live-view-service.ts";
import { ownerRouting, peerKeyFrom } from "./owner-routing.ts";
import type { StreamOwners } from "./stream-owners.ts";
import { ViewTokens } from "./view-tokens.ts";

/**
 * The relay's pool as live view reaches it: there from start() (startRelay) until the gateway stops. A viewer's
 * grant needs no relay, so the service exists before it; what needs the relay is refused until it runs.
 */
export class RelayHandle {
  #pool: RelayPool | null = null;

  pool(): RelayPool {
    if (!this.#pool) throw new Error("the relay has not started");
    return this.#pool;
  }

  /** Starts the relay's workers; the started pool is returned (and kept for the service). */
  async start(config: GatewayConfig, log: FastifyBaseLogger): Promise<RelayPool> {
    this.#pool = await createRelayPool({
      log,
      workers: config.RELAY_WORKERS,
      rtcPort: config.RELAY_RTC_PORT,
      network: { hostAddresses: config.RELAY_HOST_ADDRESSES },
      connectTimeoutMs: config.RELAY_CONNECT_TIMEOUT_S * 1000,
    });
    return this.#pool;
  }
}

interface LiveViewParts {
  db: Database;
  commands: CommandDispatcher;
  hub: LiveHub;
  log: FastifyBaseLogger;
  state: DeviceStateTracker;
  admitView: NonNullable<LiveViewServiceOptions["admitView"]>;
  relay: RelayHandle;
  /** How cameras reach this gateway over HTTP (WHIP): read when a stream starts. */
  publicHttpUrl(): string;
}

export function createLiveView(config: GatewayConfig, parts: LiveViewParts): LiveViewService | null {
  if (!config.RELAY_ENABLED) return null;
  // TURN credentials are minted per viewer session and camera stream, and expire (coturn's use-auth-secret).
  const iceServers = iceServerSource({
    servers: config.ICE_SERVERS,
    turn: config.TURN_SECRET
      ? { urls: config.TURN_URLS, secret: config.TURN_SECRET, ttlS: config.TURN_CREDENTIAL_TTL_S }
      : null,
  });
  const { db, commands, hub, log, state, admitView, relay } = parts;
  const liveView = new LiveViewService({
    db,
    commands,
    hub,
    log,
    admitView,
    tokens: new ViewTokens(config.VIEW_TOKEN_SECRET),
    relay: () => relay.pool(),
    policy: {
      iceServers,
      publicHttpUrl: parts.publicHttpUrl,
      viewerTokenTtlMs: config.VIEW_TOKEN_TTL_S * 1000,
      stopGraceMs: config.STREAM_STOP_GRACE_S * 1000,
      startTimeoutMs: config.STREAM_START_TIMEOUT_MS,
      installerWindowMs: 2 * 3600_000,
    },
  });
  state.events.on("change", (change) => {
    if (change.state === "offline") liveView.onCameraOffline(change.deviceId);
  });
  return liveView;
}

/** Live-view requests that land here for a camera another gateway streams go to that gateway (owner-routing.ts). */
export function routeLiveViewToOwners(
  app: FastifyInstance,
  config: GatewayConfig,
  owners: StreamOwners | null,
  { count, log }: { count: (outcome: string) => void; log: FastifyBaseLogger },
): void {
  if (!owners || !config.VIEW_TOKEN_SECRET) return;
  ownerRouting(app, {
    owners,
    peerKey: peerKeyFrom(config.VIEW_TOKEN_SECRET),
    // A viewer's first answer waits for the camera to start streaming.
    proxyTimeoutMs: config.STREAM_START_TIMEOUT_MS + 15_000,
    ownerLeaseS: Math.ceil(config.STREAM_OWNER_TTL_MS / 1000),
    count,
    log,
  });
}

/** What cuts viewers off: in a cluster, on every gateway (one of them carries the stream); alone, here; no relay, none. */
export function viewerCuts(liveView: LiveViewService | null, clusterCuts: ClusterCuts | null): LiveViewCuts {
  if (clusterCuts) return clusterCuts;
  if (liveView) return localCuts(liveView);
  const none = async () => {};
  return { privacyEnabled: none, cutCamera: none, cutViewer: none };
}
