// The device plane as the composition root builds it: the parts that need no I/O (the ingest worker thread, the
// link to the broker, commands, alerts, heartbeats, the jobs that prune), and the started ones (the embedded
// broker, the provisioning a claim needs the credential key for).
import type { SqlReader } from "../../../core/sql-reader.ts";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { createBroker, type WangxiangBroker } from "../../../broker/src/broker.ts";
import { databaseCredentialStore } from "../../../broker/src/credential-store.ts";
import type { Database } from "../../../core/database.ts";
import type { Lifecycle } from "../../../core/lifecycle.ts";
import { providerOf } from "../../../core/database-url.ts";
import type { DeviceCredentialHasher } from "../../../core/device-credentials.ts";
import { hashSecret } from "../../../core/secrets.ts";
import type { GatewayConfig } from "../config.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { AuditLog } from "../access/audit.ts";
import { AlertMonitor } from "./alert-monitor.ts";
import { alertsPlugin } from "./alert-routes.ts";
import { batchPlugin } from "./batch-routes.ts";
import { brokerMetricsCollector } from "./broker-metrics.ts";
import { CommandDispatcher } from "./command-dispatcher.ts";
import { commandsPlugin } from "./command-routes.ts";
import type { DeviceIngest } from "./device-ingest.ts";
import type { DeviceLink } from "./device-link.ts";
import { DeviceStateTracker } from "./device-state.ts";
import { fleetPlugin } from "./fleet-routes.ts";
import { GatewayRuns } from "./gateway-runs.ts";
import { HeartbeatWriter, type PendingHeartbeat } from "./heartbeat-writer.ts";
import { IngestThread } from "./ingest/ingest-thread.ts";
import { LabelSheetRetention } from "./label-retention.ts";
import { SharedPages } from "./shared-pages.ts";
import type { ProvisioningDeps } from "./provisioning.ts";
import type { CameraSettings } from "./provisioning-routes.ts";
import { TelemetryRetention } from "./telemetry-retention.ts";

interface Base {
  db: Database;
  /** The driver's reads for the fleet's hottest lists (core/sql-reader.ts). */
  reads: SqlReader;
  metrics: GatewayMetrics;
  log: FastifyBaseLogger;
  hub: LiveHub;
}

/** The worker opens its own connection: to the schema of a database handed in, when it names one (tests). */
function createIngestThread(config: GatewayConfig, { metrics, log }: Base, databaseSchema?: string): IngestThread {
  let databaseUrl = config.DATABASE_URL;
  if (databaseSchema && providerOf(databaseUrl) === "postgresql") {
    const url = new URL(databaseUrl);
    url.searchParams.set("schema", databaseSchema);
    databaseUrl = url.toString();
  }
  return new IngestThread({
    databaseUrl,
    log,
    onRestart: () => metrics.ingestWorkerRestarts.inc(),
    onAbandoned: (job) => {
      metrics.ingestAbandoned.inc();
      log.error({ heartbeats: job.heartbeats.length, statuses: job.statuses.length }, "ingest batch abandoned");
    },
  });
}

function createAlerts(config: GatewayConfig, { db, hub, metrics, log }: Base, state: DeviceStateTracker) {
  const alerts = new AlertMonitor(
    db,
    hub,
    metrics,
    {
      offlineAfterMs: config.OFFLINE_ALERT_AFTER_S * 1000,
      neverOnlineAfterMs: config.NEVER_ONLINE_ALERT_AFTER_S * 1000,
      repeatEveryMs: config.OFFLINE_ALERT_REPEAT_S * 1000,
      checkEveryMs: config.ALERT_CHECK_INTERVAL_S * 1000,
    },
    log,
  );
  state.events.on(
    "change",
    (change) => void alerts.onConnectionChange(change).catch((err) => log.error({ err }, "alert resolution failed")),
  );
  return alerts;
}

function createHeartbeats(config: GatewayConfig, { metrics, log }: Base, thread: IngestThread) {
  const storedListeners = new Set<(batch: PendingHeartbeat[], storedAt: Date) => void>();
  const heartbeats = new HeartbeatWriter({
    thread,
    flushMs: config.HEARTBEAT_FLUSH_MS,
    maxQueued: config.INGEST_MAX_QUEUED_HEARTBEATS,
    onStored: (batch, storedAt) => {
      for (const listener of storedListeners) listener(batch, storedAt);
      metrics.heartbeatsStored.inc(batch.length);
      for (const item of batch)
        metrics.heartbeatStoreLatency.observe((storedAt.getTime() - item.receivedAt.getTime()) / 1000);
    },
    onError: (err, lost) => log.error({ err, lost }, "heartbeats could not be stored"),
    onDropped: () => metrics.ingestDropped.inc({ kind: "telemetry" }),
  });
  metrics.watchIngestQueue(() => heartbeats.queued);
  return { heartbeats, storedListeners };
}

/** Everything about cameras as devices that exists before start(); `link` connects to the broker at start. */
export function createDevicePlane(config: GatewayConfig, base: Base, link: DeviceLink, databaseSchema?: string) {
  const { db, metrics, log, hub } = base;
  const ingestThread = createIngestThread(config, base, databaseSchema);
  const state = new DeviceStateTracker(ingestThread, hub, log);
  const publish: ConstructorParameters<typeof CommandDispatcher>[1] = (topic, payload, options) =>
    link.publish(topic, payload, options);
  return {
    ingestThread,
    state,
    commands: new CommandDispatcher(db, publish, hub, metrics, config.COMMAND_TIMEOUT_MS),
    alerts: createAlerts(config, base, state),
    runs: new GatewayRuns(db, log),
    retention: new TelemetryRetention(db, config.TELEMETRY_RETENTION_DAYS * 86_400_000, log),
    labelRetention: new LabelSheetRetention(db, config.LABEL_RETENTION_DAYS * 86_400_000, log),
    staffPages: new SharedPages(config.STAFF_PAGE_SHARE_MS),
    ...createHeartbeats(config, base, ingestThread),
  };
}

export type DevicePlane = ReturnType<typeof createDevicePlane>;

/** The broker in this process: cameras connect to it; the gateway logs in with its own service account. */
export async function startEmbeddedBroker(
  config: GatewayConfig,
  { db, log, metrics }: Omit<Base, "hub">,
  credentialHasher: DeviceCredentialHasher,
  servicePassword: string,
): Promise<WangxiangBroker> {
  const broker = createBroker({
    config: config.broker,
    credentials: databaseCredentialStore(db),
    credentialHasher,
    service: {
      username: config.MQTT_SERVICE_USER,
      passwordHash: await hashSecret(servicePassword, "device-credential"),
    },
    logger: log,
  });
  await broker.start();
  metrics.registry.registerMetric(brokerMetricsCollector(broker));
  return broker;
}

/**
 * The in-process subscription gets no retained replay, and cameras connect as soon as the broker listens:
 * statuses published before the subscription are lost. The broker's own list of clients is the truth.
 */
export async function reconcileWithBroker(
  { db, state }: { db: Database; state: DeviceStateTracker },
  broker: WangxiangBroker,
): Promise<void> {
  const recordedOnline = await db.device.findMany({ where: { connection: "online" }, select: { id: true } });
  // No await from the snapshot until every update is queued: a will published meanwhile is applied after them.
  const connected = new Set(broker.connectedDeviceIds());
  const updates = [
    ...[...connected].map((deviceId) => state.applyStatus(deviceId, { state: "online", reason: "gateway-resync" })),
    ...recordedOnline.filter((d) => !connected.has(d.id)).map((d) => state.markOffline(d.id, "gateway-restart")),
  ];
  await Promise.all(updates);
}

/** What a claim, a revocation or a move needs: the started broker and credential key among them. */
export function provisioningDeps(
  {
    db,
    reads,
    audit,
    log,
    state,
    alerts,
    link,
  }: Pick<DevicePlane, "state" | "alerts"> & {
    db: Database;
    reads: SqlReader;
    audit: AuditLog;
    log: FastifyBaseLogger;
    link: DeviceLink;
  },
  started: { broker: WangxiangBroker | null; credentialHasher: DeviceCredentialHasher },
  cutViewers: (deviceId: string, reason: string) => Promise<void>,
): ProvisioningDeps {
  return {
    db,
    reads,
    audit,
    async disconnectDevice(deviceId) {
      started.broker?.disconnectDevice(deviceId);
      // Every broker listens on the control topic: the device may be on another one (cluster mode).
      await link
        .requestDisconnect(deviceId)
        .catch((err: Error) =>
          log.warn({ deviceId, err: err.message }, "could not ask the brokers to disconnect a device"),
        );
    },
    markOffline: (deviceId, reason) => state.markOffline(deviceId, reason),
    cutViewers,
    closeAlertsOf: (deviceId) => alerts.closeAlertsOf(deviceId),
    hashDeviceCredential: (secret) => started.credentialHasher.hash(secret),
  };
}

/** What a camera is told when it is claimed: how to reach the broker, and how often to speak. */
export function cameraSettings(config: GatewayConfig, broker: WangxiangBroker | null): CameraSettings {
  const mqttPort = broker?.port ?? config.broker.port;
  return {
    mqttUrlFor: (host) =>
      config.PUBLIC_MQTT_URL ?? (broker?.tlsPort ? `mqtts://${host}:${broker.tlsPort}` : `mqtt://${host}:${mqttPort}`),
    heartbeatIntervalS: config.HEARTBEAT_INTERVAL_S,
    keepaliveS: config.DEVICE_KEEPALIVE_S,
  };
}

/** Batches and label sheets, the fleet, alerts, commands (provisioning comes with the started broker). */
export async function registerDevicePlaneRoutes(
  api: FastifyInstance,
  config: GatewayConfig,
  parts: Pick<DevicePlane, "commands" | "heartbeats" | "staffPages"> &
    Omit<Base, "log"> & { audit: AuditLog; onPrivacyEnabled(deviceId: string): Promise<void> },
): Promise<void> {
  const { db, reads, audit, hub, metrics, commands, heartbeats, staffPages } = parts;
  const countRow = (outcome: "valid" | "invalid") => metrics.batchRows.inc({ outcome });
  await api.register(batchPlugin, { db, audit, labelFontFile: config.LABEL_FONT_FILE, countRow });
  await api.register(fleetPlugin, { db, reads, staffPages });
  await api.register(alertsPlugin, { db, reads, hub, staffPages });
  await api.register(commandsPlugin, {
    ...{ db, reads, audit, commands, onPrivacyEnabled: parts.onPrivacyEnabled },
    applyDeviceChange: (deviceId, change) => heartbeats.applyDeviceChange(deviceId, change),
  });
}

/** The link to the broker: in-process when the gateway is alone with its own broker, else an MQTT client. */
export async function startDeviceIngest(
  config: GatewayConfig,
  lifecycle: Lifecycle,
  parts: { ingest: DeviceIngest; db: Database; state: DeviceStateTracker; servicePassword: string; inCluster: boolean },
  broker: WangxiangBroker | null,
): Promise<void> {
  const { ingest } = parts;
  const url = broker ? `mqtt://127.0.0.1:${broker.port}` : (config.MQTT_URL ?? "");
  const account = { url, username: config.MQTT_SERVICE_USER, password: parts.servicePassword };
  // Alone with its own broker, the gateway reads device topics in-process; in a cluster it is one client among several.
  const inProcess = broker && !parts.inCluster ? broker : null;
  await lifecycle.step(
    "device ingest",
    () => ingest.start(inProcess ? { embedded: inProcess } : account),
    () => ingest.stop(),
  );
  // In a cluster the other brokers may hold cameras; the leader's retained-status replay reconciles instead.
  if (inProcess) await reconcileWithBroker(parts, inProcess);
}
