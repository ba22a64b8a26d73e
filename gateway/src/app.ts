// buildGateway(config): the gateway's composition root. Construction builds every part and the whole HTTP
// app (so route tests can use app.inject() without a broker); start() brings up the resources that need
// I/O in dependency order, registering each one's closer on the lifecycle stack; stop() unwinds it.
import { DomainError } from "../../protocol/errors.ts";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { createBroker, type WangxiangBroker } from "../../broker/src/broker.ts";
import { pubSubPrefix } from "../../broker/src/cluster.ts";
import { createDatabase, type Database } from "../../core/database.ts";
import { createSqlReader, type SqlReader } from "../../core/sql-reader.ts";
import { providerOf } from "../../core/database-url.ts";
import { Lifecycle } from "../../core/lifecycle.ts";
import { hashSecret, randomToken } from "../../core/secrets.ts";
import { DeviceCredentialHasher, loadDeviceCredentialKey } from "../../core/device-credentials.ts";
import { databaseCredentialStore } from "../../broker/src/credential-store.ts";
import { createRelayPool, iceServerSource, relayMetricsCollector, type RelayPool } from "../../relay/src/index.ts";
import { databaseAuditLog } from "./access/audit.ts";
import { CallService } from "./calls/call-service.ts";
import { callsPlugin } from "./calls/call-routes.ts";
import { WebPush } from "./calls/web-push.ts";
import { PushEndpointPolicy } from "./calls/push-endpoints.ts";
import { CallWindowGate } from "./calls/call-windows.ts";
import { FamilyNotices } from "./calls/family-notices.ts";
import { householdCallSettingsPlugin } from "./calls/household-settings-routes.ts";
import { authPlugin } from "./access/auth.ts";
import { Sessions } from "./access/sessions.ts";
import { RedisSessionChannel } from "./access/session-channel.ts";
import { localGuessLimiters, type GuessLimiterFactory } from "./access/attempt-limiter.ts";
import { redisGuessLimiters } from "./access/shared-attempt-limiter.ts";
import { householdsPlugin } from "./access/households.ts";
import { invitesPlugin } from "./access/invites.ts";
import { phoneAuthPlugin } from "./access/phone-auth.ts";
import { reachableMembers } from "./calls/call-escalation.ts";
import { createMessaging, type Messaging } from "./messaging.ts";
import { messageRoutesPlugin } from "./notify/message-routes.ts";
import type { GatewayConfig } from "./config.ts";
import { AlertMonitor, cameraAlertKinds } from "./device-plane/alert-monitor.ts";
import { alertsPlugin } from "./device-plane/alert-routes.ts";
import { brokerMetricsCollector } from "./device-plane/broker-metrics.ts";
import { HubBridge, RedisLeadership, soleLeadership, type Leadership } from "./device-plane/cluster.ts";
import { CommandDispatcher } from "./device-plane/command-dispatcher.ts";
import { commandsPlugin } from "./device-plane/command-routes.ts";
import { DeviceIngest } from "./device-plane/device-ingest.ts";
import { DeviceStateTracker } from "./device-plane/device-state.ts";
import { fleetPlugin } from "./device-plane/fleet-routes.ts";
import { GatewayRuns } from "./device-plane/gateway-runs.ts";
import { HeartbeatWriter, type PendingHeartbeat } from "./device-plane/heartbeat-writer.ts";
import { IngestThread } from "./device-plane/ingest/ingest-thread.ts";
import type { ProvisioningDeps } from "./device-plane/provisioning.ts";
import { provisioningPlugin } from "./device-plane/provisioning-routes.ts";
import { batchPlugin } from "./device-plane/batch-routes.ts";
import { TelemetryRetention } from "./device-plane/telemetry-retention.ts";
import { LabelSheetRetention } from "./device-plane/label-retention.ts";
import { SiteCheckService } from "./site-check/site-check-service.ts";
import { siteCheckPlugin } from "./site-check/site-check-routes.ts";
import { LiveHub } from "./events/live-hub.ts";
import { chooseLiveSubprotocol, livePlugin } from "./events/live-socket.ts";
import { LiveSessions } from "./events/live-sessions.ts";
import { accountsPlugin } from "./access/accounts.ts";
import { observabilityPlugin } from "./http/observability.ts";
import { createHttpServer } from "./http/server.ts";
import { viewerPagePlugin } from "./http/viewer-page.ts";
import { webPlugin } from "./http/web.ts";
import { LiveViewService } from "./live-view/live-view-service.ts";
import { liveViewPlugin, relaySignalingPlugin } from "./live-view/live-view-routes.ts";
import { ViewTokens } from "./live-view/view-tokens.ts";
import { StreamOwners } from "./live-view/stream-owners.ts";
import { ownerRouting, peerKeyFrom } from "./live-view/owner-routing.ts";
import { ClusterCuts, localCuts, type LiveViewCuts } from "./live-view/cluster-cuts.ts";
import { createMetrics, type GatewayMetrics } from "./metrics.ts";
import { seedDemoData, type DemoSeed } from "./seed.ts";
import { SnapshotSchedule } from "./snapshots/snapshot-schedule.ts";
import { snapshotsPlugin } from "./snapshots/snapshot-routes.ts";
import { SnapshotService } from "./snapshots/snapshot-service.ts";
import { diskSnapshotStore } from "./snapshots/snapshot-store.ts";
import { WellbeingService } from "./wellbeing/wellbeing-service.ts";
import { liveChannel, pushChannel, smsChannel, WellbeingNotifier } from "./wellbeing/wellbeing-notify.ts";
import { wellbeingPlugin } from "./wellbeing/wellbeing-routes.ts";

/** stop() gives up on a step that has not finished by then (main.ts must exit within 10 s of SIGTERM). */
const STOP_DEADLINE_MS = 8_000;

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

/** What start() brings up: absent before it, read at call time by the parts built before it. */
interface Running {
  broker: WangxiangBroker | null;
  ingest: DeviceIngest | null;
  relayPool: RelayPool | null;
  credentialHasher: DeviceCredentialHasher | null;
  /** Cluster mode: viewers are cut off on every gateway (cluster-cuts.ts); until then, here. */
  clusterCuts: ClusterCuts | null;
  mqttPort: number;
  httpPort: number;
}

/** The gateway's parts that exist before start(): one value per service, built in dependency order. */
interface Services {
  db: Database;
  /** Reads on the driver for the hottest lists (core/sql-reader.ts); closed with the app. */
  reads: SqlReader;
  provider: ReturnType<typeof providerOf>;
  metrics: GatewayMetrics;
  log: FastifyInstance["log"];
  hub: LiveHub;
  liveSessions: LiveSessions;
  /** Which sign-in sessions are live, remembered briefly; where sessions end (access/sessions.ts). */
  sessions: Sessions;
  audit: ReturnType<typeof databaseAuditLog>;
  state: DeviceStateTracker;
  /** The worker thread that writes heartbeats and statuses (device-plane/ingest/). */
  ingestThread: IngestThread;
  commands: CommandDispatcher;
  alerts: AlertMonitor;
  runs: GatewayRuns;
  retention: TelemetryRetention;
  heartbeats: HeartbeatWriter;
  storedListeners: Set<(batch: PendingHeartbeat[], storedAt: Date) => void>;
  liveView: LiveViewService | null;
  /** Cuts viewers off wherever their camera's stream is carried. */
  cuts: LiveViewCuts | null;
  siteChecks: SiteCheckService;
  labelRetention: LabelSheetRetention;
  push: WebPush;
  calls: CallService;
  snapshots: SnapshotService;
  snapshotSchedule: SnapshotSchedule;
  callWindows: CallWindowGate;
  notices: FamilyNotices;
  messaging: Messaging;
  wellbeing: WellbeingService;
  /** The gateway's own MQTT password (generated when MQTT_SERVICE_PASSWORD is unset). */
  servicePassword: string;
}

/**
 * Cluster mode (REDIS_URL): one ingest leader among the gateways, live events shared (device-plane/cluster.ts),
 * guess limits counted in Redis, and each camera's stream held by one gateway that the others route to.
 */
function createCluster(
  config: GatewayConfig,
  { hub, log, liveView, sessions }: Pick<Services, "hub" | "log" | "liveView" | "sessions">,
  running: Running,
) {
  const redisUrl = config.broker.cluster?.redisUrl;
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 2 }) : null;
  redis?.on("error", (err: Error) => log.warn({ err: err.message }, "Redis error"));
  const redisLeadership = redis ? new RedisLeadership(redis, config.INGEST_LEADER_TTL_MS, log) : null;
  const leadership: Leadership = redisLeadership ?? soleLeadership(log);
  const hubBridge =
    redis && redisUrl && redisLeadership
      ? new HubBridge(redis, hub, pubSubPrefix(redisUrl), redisLeadership.id, log)
      : null;
  const guessLimiters: GuessLimiterFactory = redis ? redisGuessLimiters(redis, log) : localGuessLimiters;
  const streamOwners =
    redis && redisLeadership && liveView
      ? new StreamOwners({
          redis,
          self: () => ({ gatewayId: redisLeadership.id, url: internalUrl(config, running) }),
          ttlMs: config.STREAM_OWNER_TTL_MS,
          holdsStream: (cameraId) => liveView.holdsStream(cameraId),
          log,
        })
      : null;
  const clusterCuts =
    redis && redisUrl && redisLeadership && liveView
      ? new ClusterCuts(redis, liveView, pubSubPrefix(redisUrl), redisLeadership.id, log)
      : null;
  const sessionChannel =
    redis && redisUrl && redisLeadership
      ? new RedisSessionChannel(redis, sessions, pubSubPrefix(redisUrl), redisLeadership.id, log)
      : null;
  return { redis, leadership, hubBridge, guessLimiters, streamOwners, clusterCuts, sessionChannel };
}
type Cluster = ReturnType<typeof createCluster>;

/** How the other gateways of a cluster reach this one. */
function internalUrl(config: GatewayConfig, running: Running): string {
  return config.GATEWAY_INTERNAL_URL ?? `${config.broker.tls ? "https" : "http"}://127.0.0.1:${running.httpPort}`;
}

/** Live-view requests that land here for a camera another gateway streams go to that gateway (owner-routing.ts). */
function routeLiveViewToOwners(app: FastifyInstance, config: GatewayConfig, services: Services, cluster: Cluster) {
  if (!cluster.streamOwners || !config.VIEW_TOKEN_SECRET) return;
  ownerRouting(app, {
    owners: cluster.streamOwners,
    peerKey: peerKeyFrom(config.VIEW_TOKEN_SECRET),
    // A viewer's first answer waits for the camera to start streaming.
    proxyTimeoutMs: config.STREAM_START_TIMEOUT_MS + 15_000,
    ownerLeaseS: Math.ceil(config.STREAM_OWNER_TTL_MS / 1000),
    count: (outcome) => services.metrics.streamRouting.inc({ outcome }),
    log: services.log,
  });
}

function createDevicePlane(
  config: GatewayConfig,
  base: Pick<Services, "db" | "metrics" | "log" | "hub" | "state" | "ingestThread">,
  running: Running,
) {
  const { db, metrics, log, hub, state, ingestThread } = base;
  const commands = new CommandDispatcher(
    db,
    (topic, payload, options) => {
      if (!running.ingest) return Promise.reject(new Error("not started"));
      return running.ingest.publish(topic, payload, options);
    },
    hub,
    metrics,
    config.COMMAND_TIMEOUT_MS,
  );
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
  const runs = new GatewayRuns(db, log);
  const retention = new TelemetryRetention(db, config.TELEMETRY_RETENTION_DAYS * 86_400_000, log);
  const storedListeners = new Set<(batch: PendingHeartbeat[], storedAt: Date) => void>();
  const heartbeats = new HeartbeatWriter({
    thread: ingestThread,
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
  return { commands, alerts, runs, retention, storedListeners, heartbeats };
}

function createLiveView(
  config: GatewayConfig,
  base: Pick<Services, "db" | "commands" | "hub" | "log" | "state" | "callWindows">,
  running: Running,
): LiveViewService | null {
  if (!config.RELAY_ENABLED) return null;
  // TURN credentials are minted per viewer session and camera stream, and expire (coturn's use-auth-secret).
  const iceServers = iceServerSource({
    servers: config.ICE_SERVERS,
    turn: config.TURN_SECRET
      ? { urls: config.TURN_URLS, secret: config.TURN_SECRET, ttlS: config.TURN_CREDENTIAL_TTL_S }
      : null,
  });
  const { db, commands, hub, log, state, callWindows } = base;
  const liveView = new LiveViewService({
    db,
    commands,
    hub,
    log,
    admitView: (householdId, startedBy) => callWindows.assertMayStartView(householdId, startedBy),
    tokens: new ViewTokens(config.VIEW_TOKEN_SECRET),
    relay: () => {
      if (!running.relayPool) throw new Error("the relay has not started");
      return running.relayPool;
    },
    policy: {
      iceServers,
      publicHttpUrl: () => publicHttpUrl(config, running),
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

function createCalls(
  config: GatewayConfig,
  base: Pick<Services, "db" | "hub" | "metrics" | "log" | "commands" | "liveView" | "cuts" | "alerts" | "state">,
  pushCa: string | Buffer | undefined,
) {
  const { db, hub, metrics, log, commands, liveView, cuts, alerts, state } = base;
  const endpoints = new PushEndpointPolicy(config.PUSH_SERVICE_HOSTS);
  const push = new WebPush({ db, metrics, log, subject: config.PUSH_CONTACT, endpoints, ca: pushCa });
  const messaging = createMessaging(config, { db, metrics, log, push });
  const notices = new FamilyNotices({
    db,
    hub,
    push,
    metrics,
    log,
    offlineAfterMs: config.FAMILY_NOTICE_OFFLINE_S * 1000,
    notifier: messaging.notifier,
  });
  alerts.onAlertsChanged = (at) => notices.sync(at);
  const calls = new CallService({
    db,
    hub,
    push,
    metrics,
    log,
    ringMs: config.CALL_RING_S * 1000,
    onFromHomeCall: messaging.escalation.onFromHomeCall,
    sendCommand: (deviceId, command, requestedBy) => commands.send(deviceId, command, requestedBy),
    setPrivacy: async (deviceId, enabled) => {
      await commands.send(deviceId, { name: "privacy", params: { enabled } }, "calls");
      if (enabled) await cuts?.privacyEnabled(deviceId);
    },
    grantView: (user, deviceId, startedBy, callId) => {
      if (!liveView)
        return Promise.reject(new DomainError("not-found", { message: "live view is not enabled on this server" }));
      return liveView.grantView(user, deviceId, startedBy, callId);
    },
    isWatched: (deviceId) => liveView?.holdsStream(deviceId) ?? false,
    onCallEnded: (callId) => void liveView?.recheckViews({ callId }),
    unwatchedEndMs: config.CALL_UNWATCHED_END_S * 1000,
  });
  state.events.on("change", (change) => {
    if (change.state === "online") calls.onCameraOnline(change.deviceId);
  });
  liveView?.events.on("stream-stopped", (deviceId) => calls.onStreamStopped(deviceId));
  return { push, calls, notices, messaging };
}

/** Wellbeing check-ins: people hear through the open app, Web Push and (for questions to answer) SMS. */
function createWellbeing(
  config: GatewayConfig,
  {
    db,
    hub,
    log,
    push,
    commands,
    state,
    messaging,
  }: Pick<Services, "db" | "hub" | "log" | "push" | "commands" | "state" | "messaging">,
  clock: (() => Date) | undefined,
) {
  const sms = smsChannel({
    db,
    notifier: messaging.notifier,
    reachableMembers: (householdId, now) => reachableMembers(db, householdId, now),
  });
  const notifier = new WellbeingNotifier([liveChannel(hub), pushChannel(push), sms], log);
  const wellbeing = new WellbeingService({
    db,
    notifier,
    log,
    sendCommand: (deviceId, command, requestedBy) => commands.send(deviceId, command, requestedBy),
    ...(clock ? { clock } : {}),
    policy: {
      escalateAfterMs: config.WELLBEING_ESCALATE_AFTER_MIN * 60_000,
      checkEveryMs: config.WELLBEING_CHECK_INTERVAL_S * 1000,
      retentionMs: config.WELLBEING_RETENTION_DAYS * 86_400_000,
    },
  });
  state.events.on("change", (change) => {
    if (change.state === "online") void wellbeing.onCameraOnline(change.deviceId);
  });
  return wellbeing;
}

/** The worker opens its own connection: to the schema of a database handed in, when it names one (tests). */
function createIngestThread(
  config: GatewayConfig,
  { metrics, log }: Pick<Services, "metrics" | "log">,
  overrides: GatewayOverrides,
): IngestThread {
  let databaseUrl = config.DATABASE_URL;
  if (overrides.databaseSchema && providerOf(databaseUrl) === "postgresql") {
    const url = new URL(databaseUrl);
    url.searchParams.set("schema", overrides.databaseSchema);
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

function createSiteChecks(
  config: GatewayConfig,
  { db, commands, log, liveView }: Pick<Services, "db" | "commands" | "log" | "liveView">,
): SiteCheckService {
  return new SiteCheckService({
    db,
    log,
    streamS: config.SITE_CHECK_STREAM_S,
    sendCommand: (deviceId, command, requestedBy) => commands.send(deviceId, command, requestedBy),
    measureUplink: (deviceId, durationS, onMeasuring) => {
      if (!liveView)
        return Promise.reject(
          new DomainError("relay-failed", { message: "live view (the relay) is off on this server" }),
        );
      return liveView.measureUplink(deviceId, durationS, onMeasuring);
    },
  });
}

/** How cameras reach this gateway over HTTP (WHIP, snapshot uploads). */
function publicHttpUrl(config: GatewayConfig, running: Running): string {
  return config.PUBLIC_HTTP_URL ?? `${config.broker.tls ? "https" : "http"}://127.0.0.1:${running.httpPort}`;
}

function createSnapshots(
  config: GatewayConfig,
  { db, reads, hub, metrics, log, commands }: Pick<Services, "db" | "reads" | "hub" | "metrics" | "log" | "commands">,
  running: Running,
) {
  const snapshots = new SnapshotService({
    db,
    reads,
    hub,
    metrics,
    store: diskSnapshotStore(config.SNAPSHOT_DIR),
    sendCommand: (deviceId, command, requestedBy) => commands.send(deviceId, command, requestedBy),
    publicHttpUrl: () => publicHttpUrl(config, running).replace(/\/+$/, ""),
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

function createServices(
  config: GatewayConfig,
  { db, metrics, log }: Pick<Services, "db" | "metrics" | "log">,
  overrides: GatewayOverrides,
  running: Running,
): Services {
  const provider = providerOf(config.DATABASE_URL);
  const hub = new LiveHub(log);
  const liveSessions = new LiveSessions();
  const ingestThread = createIngestThread(config, { metrics, log }, overrides);
  const state = new DeviceStateTracker(ingestThread, hub, log);
  const base = {
    db,
    reads: createSqlReader(config.DATABASE_URL, { pgSchema: overrides.databaseSchema }),
    provider,
    metrics,
    log,
    hub,
    state,
    ingestThread,
    liveSessions,
    sessions: sessionsClosingSockets(db, liveSessions, config),
    audit: databaseAuditLog(db),
  };
  const devicePlane = createDevicePlane(config, base, running);
  const callWindows = new CallWindowGate(db, metrics);
  const liveView = createLiveView(config, { ...base, ...devicePlane, callWindows }, running);
  // Sessions ended here or on another gateway: what was granted under them (live views) is checked again now.
  base.sessions.onEnded(({ scope }) => void liveView?.recheckViews({ userId: scope.userId }));
  const cuts = liveView ? clusterWideCuts(liveView, running) : null;
  const calling = createCalls(config, { ...base, ...devicePlane, liveView, cuts }, overrides.pushCa);
  const snapshotting = createSnapshots(config, { ...base, ...devicePlane }, running);
  const servicePassword = config.MQTT_SERVICE_PASSWORD ?? randomToken(24);
  const siteChecks = createSiteChecks(config, { ...base, ...devicePlane, liveView });
  const labelRetention = new LabelSheetRetention(db, config.LABEL_RETENTION_DAYS * 86_400_000, log);
  const wellbeing = createWellbeing(
    config,
    { ...base, ...devicePlane, push: calling.push, messaging: calling.messaging },
    overrides.wellbeingClock,
  );
  return {
    wellbeing,
    ...base,
    ...devicePlane,
    liveView,
    cuts,
    callWindows,
    ...calling,
    ...snapshotting,
    siteChecks,
    labelRetention,
    servicePassword,
  };
}

/** Every ending of a session, here or (in a cluster) on another gateway, closes its live sockets at once. */
function sessionsClosingSockets(db: Database, liveSessions: LiveSessions, config: GatewayConfig): Sessions {
  const sessions = new Sessions(db, {
    workS: config.SESSION_TTL_S,
    familyIdleS: config.FAMILY_SESSION_IDLE_DAYS * 86_400,
  });
  sessions.onEnded(({ scope, reason }) => {
    if ("sessionId" in scope) liveSessions.closeSession(scope.sessionId, reason);
    else liveSessions.closeUser(scope.userId, reason, scope.exceptSessionId);
  });
  return sessions;
}

/** Cuts go through the cluster's channel once it runs, and stay in this gateway before (or without) it. */
function clusterWideCuts(liveView: LiveViewService, running: Running): LiveViewCuts {
  const local = localCuts(liveView);
  const current = () => running.clusterCuts ?? local;
  return {
    privacyEnabled: (cameraId) => current().privacyEnabled(cameraId),
    cutCamera: (cameraId, reason) => current().cutCamera(cameraId, reason),
    cutViewer: (userId, scope) => current().cutViewer(userId, scope),
  };
}

function provisioningDeps(services: Services, running: Running): ProvisioningDeps {
  const { db, audit, log, state, cuts, alerts } = services;
  return {
    db,
    audit,
    async disconnectDevice(deviceId) {
      running.broker?.disconnectDevice(deviceId);
      // Every broker listens on the control topic: the device may be on another one (cluster mode).
      await running.ingest
        ?.requestDisconnect(deviceId)
        .catch((err: Error) =>
          log.warn({ deviceId, err: err.message }, "could not ask the brokers to disconnect a device"),
        );
    },
    markOffline: (deviceId, reason) => state.markOffline(deviceId, reason),
    cutViewers: async (deviceId, reason) => {
      await cuts?.cutCamera(deviceId, reason);
    },
    closeAlertsOf: (deviceId) => alerts.closeAlertsOf(deviceId),
    hashDeviceCredential(secret) {
      if (!running.credentialHasher) throw new Error("gateway not started");
      return running.credentialHasher.hash(secret);
    },
  };
}

function registerRoutes(
  app: FastifyInstance,
  config: GatewayConfig,
  services: Services,
  running: Running,
  { cluster, startedAt }: { cluster: Cluster; startedAt: number },
): void {
  routeLiveViewToOwners(app, config, services, cluster);
  app.register(
    async (api) => {
      await registerAccessRoutes(api, config, services, cluster.guessLimiters);
      await registerDeviceRoutes(api, config, services, running, cluster.guessLimiters);
    },
    { prefix: "/api/v1" },
  );
  app.register(observabilityPlugin, {
    db: services.db,
    metrics: services.metrics,
    brokerConnected: () => running.ingest?.isConnected ?? false,
    startedAt,
    metricsToken: config.METRICS_TOKEN,
  });
  app.register(viewerPagePlugin);
  app.register(webPlugin);
}

/** Who may do what: sign-in, households and their members, accounts, invites. */
async function registerAccessRoutes(
  api: FastifyInstance,
  config: GatewayConfig,
  { db, reads, audit, liveSessions, sessions, cuts, messaging }: Services,
  guessLimiters: GuessLimiterFactory,
): Promise<void> {
  await api.register(authPlugin, {
    db,
    loginFailuresPer15Min: config.LOGIN_FAILURES_PER_15_MIN,
    sessions,
    audit,
    guessLimiters,
  });
  await api.register(householdsPlugin, {
    db,
    reads,
    audit,
    liveSessions,
    cutViewer: async (userId, householdId) => {
      await cuts?.cutViewer(userId, { householdId, reason: "membership-ended" });
    },
  });
  await api.register(accountsPlugin, {
    db,
    audit,
    sessions,
    liveSessions,
    cutViewer: async (userId) => {
      await cuts?.cutViewer(userId, { reason: "account-disabled" });
    },
  });
  // Invite codes are guessed at through two doors (sign-up by password, by phone): one count for both.
  const inviteGuesses = onePerKind(guessLimiters);
  await api.register(invitesPlugin, {
    db,
    audit,
    claimFailuresPer15Min: config.CLAIM_FAILURES_PER_15_MIN,
    sessions,
    guessLimiters: inviteGuesses,
  });
  await api.register(phoneAuthPlugin, {
    db,
    audit,
    codes: messaging.phoneCodes,
    sessions,
    claimFailuresPer15Min: config.CLAIM_FAILURES_PER_15_MIN,
    guessLimiters: inviteGuesses,
  });
  await api.register(messageRoutesPlugin, { db, notifier: messaging.notifier });
}

/** A factory that hands out the same limiter each time for a kind (a local limiter counts only its own). */
function onePerKind(factory: GuessLimiterFactory): GuessLimiterFactory {
  const made = new Map<string, ReturnType<GuessLimiterFactory>>();
  return (kind, freeFailures) => {
    const key = `${kind}:${freeFailures}`;
    if (!made.has(key)) made.set(key, factory(kind, freeFailures));
    return made.get(key)!;
  };
}

/** Cameras and what happens around them: provisioning, fleet, alerts, commands, live events, calls, live view. */
async function registerDeviceRoutes(
  api: FastifyInstance,
  config: GatewayConfig,
  services: Services,
  running: Running,
  guessLimiters: GuessLimiterFactory,
): Promise<void> {
  const { db, audit, liveSessions, sessions, liveView, cuts, metrics, hub, commands, heartbeats, calls, push } =
    services;
  const provisioning = provisioningDeps(services, running);
  await api.register(provisioningPlugin, {
    provisioning,
    claimFailuresPer15Min: config.CLAIM_FAILURES_PER_15_MIN,
    guessLimiters,
    cameraSettings: {
      mqttUrlFor: (host) =>
        config.PUBLIC_MQTT_URL ??
        (running.broker?.tlsPort ? `mqtts://${host}:${running.broker.tlsPort}` : `mqtt://${host}:${running.mqttPort}`),
      heartbeatIntervalS: config.HEARTBEAT_INTERVAL_S,
      keepaliveS: config.DEVICE_KEEPALIVE_S,
    },
  });
  await api.register(batchPlugin, {
    db,
    audit,
    labelFontFile: config.LABEL_FONT_FILE,
    countRow: (outcome) => metrics.batchRows.inc({ outcome }),
  });
  await api.register(fleetPlugin, { db, reads: services.reads });
  await api.register(alertsPlugin, { db, hub });
  await api.register(commandsPlugin, {
    db,
    audit,
    commands,
    applyDeviceChange: (deviceId, change) => heartbeats.applyDeviceChange(deviceId, change),
    onPrivacyEnabled: async (deviceId) => {
      await cuts?.privacyEnabled(deviceId);
    },
  });
  await api.register(livePlugin, { db, hub, metrics, liveSessions, sessions });
  await api.register(siteCheckPlugin, { db, audit, siteChecks: services.siteChecks });
  await api.register(callsPlugin, { db, calls, push, audit });
  await api.register(snapshotsPlugin, {
    db,
    audit,
    snapshots: services.snapshots,
    // A still shows the inside of the home as a view does: a call window holds it back the same way.
    admitStill: (householdId) => services.callWindows.assertMayStartView(householdId, "look-in"),
  });
  await api.register(householdCallSettingsPlugin, { db, audit, notices: services.notices });
  await api.register(wellbeingPlugin, { db, audit, wellbeing: services.wellbeing });
  if (liveView) {
    await api.register(liveViewPlugin, { db, liveView });
    // The relay's WHIP/WHEP routes need its pool: present when the app boots in start(), absent for inject() before it.
    if (running.relayPool) await api.register(relaySignalingPlugin, { liveView, pool: running.relayPool });
  }
}

/** Alerts, pruning and periodic stills run on the ingest leader only: two gateways would raise every alert twice. */
function leaderJobs({
  alerts,
  retention,
  snapshotSchedule,
  wellbeing,
  log,
}: Pick<Services, "alerts" | "retention" | "snapshotSchedule" | "wellbeing" | "log">): (leader: boolean) => void {
  let jobsRunning = false;
  return (leader) => {
    if (leader === jobsRunning) return;
    jobsRunning = leader;
    if (leader) {
      alerts.start().catch((err) => log.error({ err }, "alert monitor did not start"));
      retention.start();
      snapshotSchedule.start();
      wellbeing.start();
    } else {
      void alerts.stop();
      retention.stop();
      void snapshotSchedule.stop();
      void wellbeing.stop();
    }
  };
}

async function prepareDatabase(
  config: GatewayConfig,
  { db, provider }: Pick<Services, "db" | "provider">,
): Promise<DemoSeed | null> {
  if (provider === "sqlite") {
    // WAL lets the API read while heartbeats are written; busy_timeout rides out short write locks.
    await db.$queryRawUnsafe("PRAGMA journal_mode=WAL");
    await db.$queryRawUnsafe("PRAGMA busy_timeout=5000");
  }
  return config.SEED_DEMO_DATA ? seedDemoData(db, config.WX_DEMO_PASSWORD) : null;
}

async function startEmbeddedBroker(
  config: GatewayConfig,
  { db, log, metrics }: Pick<Services, "db" | "log" | "metrics">,
  credentialHasher: DeviceCredentialHasher,
  servicePassword: string,
  running: Running,
): Promise<WangxiangBroker> {
  const started = createBroker({
    config: config.broker,
    credentials: databaseCredentialStore(db),
    credentialHasher,
    service: {
      username: config.MQTT_SERVICE_USER,
      passwordHash: await hashSecret(servicePassword, "device-credential"),
    },
    logger: log,
  });
  running.mqttPort = (await started.start()).port;
  metrics.registry.registerMetric(brokerMetricsCollector(started));
  return started;
}

/**
 * The in-process subscription gets no retained replay, and cameras connect as soon as the broker listens:
 * statuses published before the subscription are lost. The broker's own list of clients is the truth.
 */
async function reconcileWithBroker(
  { db, state }: Pick<Services, "db" | "state">,
  started: WangxiangBroker,
): Promise<void> {
  const recordedOnline = await db.device.findMany({ where: { connection: "online" }, select: { id: true } });
  // No await from the snapshot until every update is queued: a will published meanwhile is applied after them.
  const connected = new Set(started.connectedDeviceIds());
  const updates = [
    ...[...connected].map((deviceId) => state.applyStatus(deviceId, { state: "online", reason: "gateway-resync" })),
    ...recordedOnline.filter((d) => !connected.has(d.id)).map((d) => state.markOffline(d.id, "gateway-restart")),
  ];
  await Promise.all(updates);
}

async function listen(app: FastifyInstance, config: GatewayConfig): Promise<number> {
  try {
    await app.listen({ port: config.HTTP_PORT, host: config.HTTP_HOST });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new Error(`HTTP port ${config.HTTP_PORT} is already in use; set HTTP_PORT to another port`, {
        cause: error,
      });
    throw error;
  }
  const address = app.server.address();
  return typeof address === "object" && address ? address.port : config.HTTP_PORT;
}

export function buildGateway(config: GatewayConfig, overrides: GatewayOverrides = {}): Gateway {
  const startedAt = Date.now();
  const db = overrides.database ?? createDatabase(config.DATABASE_URL);
  const metrics = createMetrics();
  const app = createHttpServer({
    logLevel: config.LOG_LEVEL,
    logStream: overrides.logStream,
    tls: config.broker.tls,
    corsOrigins: config.CORS_ORIGINS,
    trustedProxies: config.TRUST_PROXY,
    handleProtocols: chooseLiveSubprotocol,
    metrics,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_S * 1000,
  });
  const lifecycle = new Lifecycle(app.log);
  // Filled in by start(): the broker, its client and the relay exist only once their I/O has begun.
  const running: Running = {
    broker: null,
    ingest: null,
    relayPool: null,
    credentialHasher: null,
    clusterCuts: null,
    mqttPort: config.broker.port,
    httpPort: config.HTTP_PORT,
  };
  const services = createServices(config, { db, metrics, log: app.log }, overrides, running);
  const cluster = createCluster(config, services, running);
  app.addHook("onClose", () => services.reads.close());
  registerRoutes(app, config, services, running, { cluster, startedAt });
  const { heartbeats, hub, state, alerts, commands, liveView, calls, storedListeners, snapshots, snapshotSchedule } =
    services;

  let startCalled = false;
  return {
    app,
    heartbeats,
    metrics,
    hub,
    state,
    alerts,
    commands,
    leadership: cluster.leadership,
    liveView,
    streamOwners: cluster.streamOwners,
    calls,
    messaging: services.messaging,
    snapshots,
    snapshotSchedule,
    wellbeing: services.wellbeing,
    get broker() {
      return running.broker;
    },
    ingestThread: services.ingestThread,
    onHeartbeatsStored(listener) {
      storedListeners.add(listener);
      return () => storedListeners.delete(listener);
    },
    async start() {
      startCalled = true;
      return startGateway(config, { app, services, cluster, lifecycle, running, ownsDatabase: !overrides.database });
    },
    async stop() {
      // Never started (route tests that only used app.inject()): the app and the database are all there is.
      if (!startCalled)
        lifecycle.defer("database and app", async () => {
          await app.close();
          await services.ingestThread.stop();
          if (!overrides.database) await db.$disconnect();
        });
      startCalled = true;
      await lifecycle.stop(STOP_DEADLINE_MS);
    },
  };
}

interface StartParts {
  app: FastifyInstance;
  services: Services;
  cluster: Cluster;
  lifecycle: Lifecycle;
  running: Running;
  ownsDatabase: boolean;
}

/** Brings the gateway up in dependency order, registering each closer on the lifecycle as its step succeeds. */
/** Alert checks, retention and snapshot rounds run on the ingest leader only, and move with leadership. */
async function startLeaderJobs({ services, cluster, lifecycle }: StartParts): Promise<void> {
  const { leadership } = cluster;
  const runJobs = leaderJobs(services);
  await lifecycle.step(
    "leader jobs",
    () => {
      const stopFollowing = leadership.events.on("change", runJobs);
      runJobs(leadership.isLeader);
      return stopFollowing;
    },
    async (stopFollowing) => {
      stopFollowing();
      services.retention.stop();
      await services.snapshotSchedule.stop();
      await services.wellbeing.stop();
      await services.alerts.stop();
    },
  );
}

/** Cluster mode: viewers cut on every gateway, and this gateway's records of the streams it holds. */
async function startClusterLiveView({ cluster, lifecycle, running }: StartParts): Promise<void> {
  const { streamOwners, clusterCuts } = cluster;
  if (clusterCuts)
    await lifecycle.step(
      "live-view cuts channel",
      async () => {
        await clusterCuts.start();
        running.clusterCuts = clusterCuts;
      },
      async () => {
        running.clusterCuts = null;
        await clusterCuts.stop();
      },
    );
  // Unwound after HTTP has closed: no request can take a camera any more when the records are released.
  if (streamOwners)
    await lifecycle.step(
      "stream owner records",
      () => streamOwners.start(),
      () => streamOwners.stop(),
    );
}

async function startGateway(config: GatewayConfig, parts: StartParts): ReturnType<Gateway["start"]> {
  const { app, services, cluster, lifecycle, running } = parts;
  const { db, redis, hubBridge, leadership } = { ...services, ...cluster };
  if (parts.ownsDatabase) lifecycle.defer("database", () => db.$disconnect());
  if (redis) lifecycle.defer("redis", () => redis.disconnect());
  const seed = await prepareDatabase(config, services);
  await lifecycle.step(
    "gateway run record",
    () => services.runs.begin(),
    () => services.runs.end(),
  );
  await lifecycle.step(
    "ingest worker",
    () => services.ingestThread.start(),
    () => services.ingestThread.stop(),
  );
  lifecycle.defer("heartbeat writer", async () => {
    await services.heartbeats.stop();
    await services.state.idle();
  });
  const mqttUrl = await startBrokerAndRelay(config, parts);
  await services.liveView?.closeOrphanedViews();
  await services.siteChecks.closeOrphaned();
  // Label sheets past their retention are emptied now, then hourly: a gateway that was down for a month
  // must not serve old claim codes until its first hourly sweep.
  await lifecycle.step(
    "label-sheet retention",
    () => services.labelRetention.start(),
    () => services.labelRetention.stop(),
  );
  if (hubBridge)
    await lifecycle.step(
      "live-event bridge",
      () => hubBridge.start(),
      () => hubBridge.stop(),
    );
  await lifecycle.step(
    "leadership",
    () => leadership.start(),
    () => leadership.stop(),
  );
  await startIngest(config, parts, mqttUrl);
  await startLeaderJobs(parts);
  await startClusterLiveView(parts);
  const { sessionChannel } = cluster;
  if (sessionChannel)
    await lifecycle.step(
      "session endings channel",
      () => sessionChannel.start(),
      () => sessionChannel.stop(),
    );
  await lifecycle.step(
    "http",
    async () => {
      running.httpPort = await listen(app, config);
    },
    () => app.close(),
  );
  await lifecycle.step(
    "calls",
    async () => {
      await services.calls.start();
      services.messaging.receipts?.start();
    },
    async () => {
      services.calls.stop();
      await services.messaging.escalation.stop();
      await services.messaging.receipts?.stop();
    },
  );
  // Closed first: waiting commands answer 503 so that closing HTTP does not wait for cameras.
  lifecycle.defer("commands and live views", async () => {
    services.commands.stop();
    await services.liveView?.stop();
    await services.siteChecks.stop();
  });
  return { httpPort: running.httpPort, mqttPort: running.mqttPort, mqttTlsPort: running.broker?.tlsPort ?? 0, seed };
}

/** The embedded broker and the relay, when configured; returns the URL the device ingest connects to. */
async function startBrokerAndRelay(
  config: GatewayConfig,
  { services, lifecycle, running }: StartParts,
): Promise<string> {
  const { db, metrics } = services;
  let mqttUrl = config.MQTT_URL ?? "";
  const hasher = new DeviceCredentialHasher(await loadDeviceCredentialKey(db, config.broker.credentialKey));
  running.credentialHasher = hasher;
  if (config.EMBEDDED_BROKER) {
    running.broker = await lifecycle.step(
      "broker",
      () => startEmbeddedBroker(config, services, hasher, services.servicePassword, running),
      (started) => started.stop(),
    );
    mqttUrl = `mqtt://127.0.0.1:${running.mqttPort}`;
  }
  if (config.RELAY_ENABLED) {
    running.relayPool = await lifecycle.step(
      "relay",
      () =>
        createRelayPool({
          log: services.log,
          workers: config.RELAY_WORKERS,
          rtcPort: config.RELAY_RTC_PORT,
          network: { hostAddresses: config.RELAY_HOST_ADDRESSES },
          connectTimeoutMs: config.RELAY_CONNECT_TIMEOUT_S * 1000,
        }),
      (pool) => pool.close(),
    );
    metrics.registry.registerMetric(relayMetricsCollector(running.relayPool));
  }
  return mqttUrl;
}

async function startIngest(
  config: GatewayConfig,
  { services, cluster, lifecycle, running }: StartParts,
  mqttUrl: string,
): Promise<void> {
  const { db, state, heartbeats, commands, hub, metrics, log, cuts, calls, alerts } = services;
  const { broker } = running;
  const ingest = new DeviceIngest({
    url: mqttUrl,
    username: config.MQTT_SERVICE_USER,
    password: services.servicePassword,
    db,
    state,
    heartbeats,
    commands,
    hub,
    metrics,
    log,
    leadership: cluster.leadership,
    // Alone with its own broker, the gateway reads device topics in-process; in a cluster it is one client among several.
    embeddedBroker: broker && !cluster.redis ? broker : undefined,
    onPrivacyChanged: (deviceId, enabled) => {
      if (enabled) void cuts?.privacyEnabled(deviceId);
      else void calls.onPrivacyOff(deviceId).catch((err) => log.error({ err }, "privacy time not cleared"));
    },
    onCallButton: (deviceId) => calls.onCallButton(deviceId),
    onCallDeclined: (deviceId) => calls.onCallDeclined(deviceId),
    onCameraHealthy: (deviceId, at) => alerts.closeAlertsOf(deviceId, at, cameraAlertKinds),
    onActivity: (deviceId, report) => services.wellbeing.ingest(deviceId, report),
  });
  running.ingest = ingest;
  await lifecycle.step(
    "device ingest",
    () => ingest.start(),
    () => ingest.stop(),
  );
  // In a cluster the other brokers may hold cameras; the leader's retained-status replay reconciles instead.
  if (broker && !cluster.redis) await reconcileWithBroker(services, broker);
}
