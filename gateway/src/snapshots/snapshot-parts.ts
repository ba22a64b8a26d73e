// Stills as the composition root builds them: the service over the disk store, and the periodic round.
import type { FastifyBaseLogger } from "fastify";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import type { GatewayConfig } from "../config.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { SnapshotSchedule } from "./snapshot-schedule.ts";
import { SnapshotService, type SnapshotServiceOptions } from "./snapshot-service.ts";
import { diskSnapshotStore } from "./snapshot-store.ts";

interface SnapshotParts {
  db: Database;
  reads: SqlReader;
  hub: LiveHub;
  metrics: GatewayMetrics;
  log: FastifyBaseLogger;
  sendCommand: SnapshotServiceOptions["sendCommand"];
  publicHttpUrl: SnapshotServiceOptions["publicHttpUrl"];
}

export function createSnapshots(
  config: GatewayConfig,
  { db, reads, hub, metrics, log, sendCommand, publicHttpUrl }: SnapshotParts,
) {
  const snapshots = new SnapshotService({
    db,
    reads,
    hub,
    metrics,
    store: diskSnapshotStore(config.SNAPSHOT_DIR),
    sendCommand,
    publicHttpUrl: () => publicHttpUrl().replace(/\/+$/, ""),
    policy: {
      maxBytes: config.SNAPSHOT_MAX_BYTES,
      uploadTtlMs: config.SNAPSHOT_UPLOAD_TTL_S * 1000,
      retentionMs: config.SNAPSHOT_RETENTION_DAYS * 86_400_000,
      personIntervalMs: config.SNAPSHOT_PERSON_INTERVAL_S * 1000,
    },
  });
  const snapshotSchedule = new SnapshotSchedule({
    db,
    snapshots,
    intervalMs: config.SNAPSHOT_INTERVAL_MIN * 60_000,
    log,
  });
  return { snapshots, snapshotSchedule };
}
