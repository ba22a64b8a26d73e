// What buildGateway() (app.ts) takes and returns: the gateway as main.ts, the tests and the benchmarks see it.
import type { FastifyInstance } from "fastify";
import type { WangxiangBroker } from "../../broker/src/broker.ts";
import type { Database } from "../../core/database.ts";
import type { RelayPool } from "../../relay/src/index.ts";
import type { CallService } from "./calls/call-service.ts";
import type { AlertMonitor } from "./device-plane/alert-monitor.ts";
import type { Leadership } from "./device-plane/cluster.ts";
import type { CommandDispatcher } from "./device-plane/command-dispatcher.ts";
import type { DeviceStateTracker } from "./device-plane/device-state.ts";
import type { HeartbeatWriter, PendingHeartbeat } from "./device-plane/heartbeat-writer.ts";
import type { IngestThread } from "./device-plane/ingest/ingest-thread.ts";
import type { LiveHub } from "./events/live-hub.ts";
import type { LiveViewService } from "./live-view/live-view-service.ts";
import type { StreamOwners } from "./live-view/stream-owners.ts";
import type { Messaging } from "./messaging.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { DemoSeed } from "./seed.ts";
import type { SnapshotSchedule } from "./snapshots/snapshot-schedule.ts";
import type { SnapshotService } from "./snapshots/snapshot-service.ts";
import type { WellbeingService } from "./wellbeing/wellbeing-service.ts";

export interface Gateway {
  start(): Promise<{ httpPort: number; mqttPort: number; mqttTlsPort: number; seed: DemoSeed | null }>;
  /** Idempotent; rejects (after closing what it can) if a step outlives the deadline. */
  stop(): Promise<void>;
  readonly app: FastifyInstance;
  readonly heartbeats: HeartbeatWriter;
  // Parts, for tests and benchmarks to observe; nothing inside the gateway reaches them through this object.
  readonly metrics: GatewayMetrics;
  readonly hub: LiveHub;
  readonly state: DeviceStateTracker;
  readonly alerts: AlertMonitor;
  readonly commands: CommandDispatcher;
  readonly leadership: Leadership;
  readonly liveView: LiveViewService | null;
  /** Cluster mode with the relay: which cameras' streams this gateway holds. */
  readonly streamOwners: StreamOwners | null;
  readonly calls: CallService;
  /** SMS and voice: the notifier, sign-in codes, the elder's-call escalation. */
  readonly messaging: Messaging;
  readonly snapshots: SnapshotService;
  readonly snapshotSchedule: SnapshotSchedule;
  readonly wellbeing: WellbeingService;
  /** The broker in this process, once started. */
  readonly broker: WangxiangBroker | null;
  /** The relay's worker pool, once started (absent with RELAY_ENABLED=0). */
  readonly relayPool: RelayPool | null;
  /** The worker thread that writes heartbeats and statuses. */
  readonly ingestThread: IngestThread;
  /** Called after each batch of heartbeats is committed (benchmarks measure arrival → stored with it). */
  onHeartbeatsStored(listener: (batch: PendingHeartbeat[], storedAt: Date) => void): () => void;
}

export interface GatewayOverrides {
  /** Use this database instead of opening DATABASE_URL (tests hand in a fresh one). */
  database?: Database;
  /** The PostgreSQL schema of that database, for the parts that open a connection of their own (ingest worker). */
  databaseSchema?: string;
  /** Where log lines go (default stdout); tests read them to check that no secret is logged. */
  logStream?: { write(line: string): void };
  /** Certificate authorities to trust for Web Push (tests play a push service with their own CA). */
  pushCa?: string | Buffer;
  /** The wellbeing part's clock (tests run weeks of days in seconds). */
  wellbeingClock?: () => Date;
}
