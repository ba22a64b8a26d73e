// buildGateway(config): the gateway's composition root. Construction builds every part and the whole HTTP
// app (so route tests can use app.inject() without a broker); start() brings up the resources that need
// I/O in dependency order, registering each one's closer on the lifecycle stack; stop() unwinds it.
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { createBroker, type WangxiangBroker } from "../../broker/src/broker.ts";
import { pubSubPrefix } from "../../broker/src/cluster.ts";
import { createDatabase, type Database } from "../../core/database.ts";
import { providerOf, sqliteFileFromUrl } from "../../core/database-url.ts";
import { Lifecycle } from "../../core/lifecycle.ts";
import { hashSecret, randomToken } from "../../core/secrets.ts";
import { DeviceCredentialHasher, loadDeviceCredentialKey } from "../../core/device-credentials.ts";
import { databaseCredentialStore } from "../../broker/src/credential-store.ts";
import { createRelayPool, iceServerSource, relayMetricsCollector, type RelayPool } from "../../relay/src/index.ts";
import type { Agent } from "node:https";
import { databaseAuditLog } from "./access/audit.ts";
import { CallService } from "./calls/call-service.ts";
import { callsPlugin } from "./calls/call-routes.ts";
import { WebPush } from "./calls/web-push.ts";
import { authPlugin } from "./access/auth.ts";
import { householdsPlugin } from "./access/households.ts";
import { invitesPlugin } from "./access/invites.ts";
import type { GatewayConfig } from "./config.ts";
import { AlertMonitor } from "./device-plane/alert-monitor.ts";
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
import type { ProvisioningDeps } from "./device-plane/provisioning.ts";
import { provisioningPlugin } from "./device-plane/provisioning-routes.ts";
import { batchPlugin } from "./device-plane/batch-routes.ts";
import { TelemetryRetention } from "./device-plane/telemetry-retention.ts";
import { LiveHub } from "./events/live-hub.ts";
import { chooseLiveSubprotocol, livePlugin } from "./events/live-socket.ts";
import { LiveSessions } from "./events/live-sessions.ts";
import { accountsPlugin } from "./access/accounts.ts";
import { observabilityPlugin } from "./http/observability.ts";
import { createHttpServer } from "./http/server.ts";
import { viewerPagePlugin } from "./http/viewer-page.ts";
import { webPlugin } from "./http/web.ts";
import { ApiError } from "./http/errors.ts";
import { LiveViewService } from "./live-view/live-view-service.ts";
import { liveViewPlugin, relaySignalingPlugin } from "./live-view/live-view-routes.ts";
import { ViewTokens } from "./live-view/view-tokens.ts";
import { createMetrics, type GatewayMetrics } from "./metrics.ts";
import { seedDemoData, type DemoSeed } from "./seed.ts";

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
  readonly calls: CallService;
  /** The broker in this process, once started. */
  readonly broker: WangxiangBroker | null;
  /** Called after each batch of heartbeats is committed (benchmarks measure arrival → stored with it). */
  onHeartbeatsStored(listener: (batch: PendingHeartbeat[], storedAt: Date) => void): () => void;
}

export interface GatewayOverrides {
  /** Use this database instead of opening DATABASE_URL (tests hand in a fresh one). */
  database?: Database;
  /** Where log lines go (default stdout); tests read them to check that no secret is logged. */
  logStream?: { write(line: string): void };
  /** TLS agent for Web Push requests (tests play a push service with their own CA). */
  pushAgent?: Agent;
}

/** What start() brings up: absent before it, read at call time by the parts built before it. */
interface Running {
  broker: WangxiangBroker | null;
  ingest: DeviceIngest | null;
  relayPool: RelayPool | null;
  credentialHasher: DeviceCredentialHasher | null;
  mqttPort: number;
  httpPort: number;
}

/** The gateway's parts that exist before start(): one value per service, built in dependency order. */
interface Services {
  db: Database;
  provider: ReturnType<typeof providerOf>;
  metrics: GatewayMetrics;
  log: FastifyInstance["log"];
  hub: LiveHub;
  liveSessions: LiveSessions;
  audit: ReturnType<typeof databaseAuditLog>;
  state: DeviceStateTracker;
  commands: CommandDispatcher;
  alerts: AlertMonitor;
  runs: GatewayRuns;
  retention: TelemetryRetention;
  heartbeats: HeartbeatWriter;
  storedListeners: Set<(batch: PendingHeartbeat[], storedAt: Date) => void>;
  liveView: LiveViewService | null;
  push: WebPush;
  calls: CallService;
  /** The gateway's own MQTT password (generated when MQTT_SERVICE_PASSWORD is unset). */
  servicePassword: string;
}

/** Cluster mode (REDIS_URL): one ingest leader among the gateways, live events shared (device-plane/cluster.ts). */
function createCluster(config: GatewayConfig, hub: LiveHub, log: FastifyInstance["log"]) {
  const redisUrl = config.broker.cluster?.redisUrl;
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 2 }) : null;
  redis?.on("error", (err: Error) => log.warn({ err: err.message }, "Redis error"));
  const redisLeadership = redis ? new RedisLeadership(redis, config.INGEST_LEADER_TTL_MS, log) : null;
  const leadership: Leadership = redisLeadership ?? soleLeadership();
  const hubBridge =
    redis && redisUrl && redisLeadership
      ? new HubBridge(redis, hub, pubSubPrefix(redisUrl), redisLeadership.id, log)
      : null;
  return { redis, leadership, hubBridge };
}

function createDevicePlane(
  config: GatewayConfig,
  base: Pick<Services, "db" | "provider" | "metrics" | "log" | "hub" | "state">,
  running: Running,
) {
  const { db, provider, metrics, log, hub, state } = base;
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
  const sqliteFile = provider === "sqlite" ? sqliteFileFromUrl(config.DATABASE_URL) : null;
  const heartbeats = new HeartbeatWriter(
    db,
    provider,
    sqliteFile,
    config.HEARTBEAT_FLUSH_MS,
    (batch, storedAt) => {
      for (const listener of storedListeners) listener(batch, storedAt);
      metrics.heartbeatsStored.inc(batch.length);
      for (const item of batch)
        metrics.heartbeatStoreLatency.observe((storedAt.getTime() - item.receivedAt.getTime()) / 1000);
    },
    (err, lost) => log.error({ err, lost }, "heartbeats could not be stored"),
  );
  return { commands, alerts, runs, retention, storedListeners, heartbeats };
}

function createLiveView(
  config: GatewayConfig,
  base: Pick<Services, "db" | "commands" | "hub" | "log" | "state">,
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
  const { db, commands, hub, log, state } = base;
  const liveView = new LiveViewService({
    db,
    commands,
    hub,
    log,
    tokens: new ViewTokens(config.VIEW_TOKEN_SECRET),
    relay: () => {
      if (!running.relayPool) throw new Error("the relay has not started");
      return running.relayPool;
    },
    policy: {
      iceServers,
      publicHttpUrl: () =>
        config.PUBLIC_HTTP_URL ?? `${config.broker.tls ? "https" : "http"}://127.0.0.1:${running.httpPort}`,
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
  base: Pick<Services, "db" | "hub" | "metrics" | "log" | "commands" | "liveView">,
  pushAgent: Agent | undefined,
) {
  const { db, hub, metrics, log, commands, liveView } = base;
  const push = new WebPush({ db, metrics, log, subject: config.PUSH_CONTACT, agent: pushAgent });
  const calls = new CallService({
    db,
    hub,
    push,
    metrics,
    log,
    ringMs: config.CALL_RING_S * 1000,
    sendCommand: (deviceId, command, requestedBy) => commands.send(deviceId, command, requestedBy),
    setPrivacy: async (deviceId, enabled) => {
      await commands.send(deviceId, { name: "privacy", params: { enabled } }, "calls");
      if (enabled) await liveView?.onPrivacyEnabled(deviceId);
    },
    grantView: (user, deviceId, startedBy) => {
      if (!liveView) return Promise.reject(new ApiError(404, "not-found", "live view is not enabled on this server"));
      return liveView.grantView(user, deviceId, startedBy);
    },
  });
  return { push, calls };
}

function createServices(
  config: GatewayConfig,
  { db, metrics, log }: Pick<Services, "db" | "metrics" | "log">,
  overrides: GatewayOverrides,
  running: Running,
): Services {
  const provider = providerOf(config.DATABASE_URL);
  const hub = new LiveHub();
  const state = new DeviceStateTracker(db, provider, hub, log);
  const base = {
    db,
    provider,
    metrics,
    log,
    hub,
    state,
    liveSessions: new LiveSessions(),
    audit: databaseAuditLog(db),
  };
  const devicePlane = createDevicePlane(config, base, running);
  const liveView = createLiveView(config, { ...base, ...devicePlane }, running);
  const calling = createCalls(config, { ...base, ...devicePlane, liveView }, overrides.pushAgent);
  const servicePassword = config.MQTT_SERVICE_PASSWORD ?? randomToken(24);
  return { ...base, ...devicePlane, liveView, ...calling, servicePassword };
}

function provisioningDeps(services: Services, running: Running): ProvisioningDeps {
  const { db, audit, log, state, liveView, alerts } = services;
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
      await liveView?.cutCamera(deviceId, reason);
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
  startedAt: number,
): void {
  app.register(
    async (api) => {
      await registerAccessRoutes(api, config, services);
      await registerDeviceRoutes(api, config, services, running);
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
  { db, audit, liveSessions, liveView }: Services,
): Promise<void> {
  await api.register(authPlugin, {
    db,
    sessionTtlS: config.SESSION_TTL_S,
    loginFailuresPer15Min: config.LOGIN_FAILURES_PER_15_MIN,
    liveSessions,
    audit,
  });
  await api.register(householdsPlugin, {
    db,
    audit,
    liveSessions,
    cutViewer: async (userId, householdId) => {
      await liveView?.cutViewer(userId, { householdId, reason: "membership-ended" });
    },
  });
  await api.register(accountsPlugin, {
    db,
    audit,
    liveSessions,
    cutViewer: async (userId) => {
      await liveView?.cutViewer(userId, { reason: "account-disabled" });
    },
  });
  await api.register(invitesPlugin, {
    db,
    audit,
    claimFailuresPer15Min: config.CLAIM_FAILURES_PER_15_MIN,
    sessionTtlS: config.SESSION_TTL_S,
  });
}

/** Cameras and what happens around them: provisioning, fleet, alerts, commands, live events, calls, live view. */
async function registerDeviceRoutes(
  api: FastifyInstance,
  config: GatewayConfig,
  services: Services,
  running: Running,
): Promise<void> {
  const { db, audit, liveSessions, liveView, metrics, hub, commands, heartbeats, calls, push } = services;
  const provisioning = provisioningDeps(services, running);
  await api.register(provisioningPlugin, {
    provisioning,
    claimFailuresPer15Min: config.CLAIM_FAILURES_PER_15_MIN,
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
  await api.register(fleetPlugin, { db });
  await api.register(alertsPlugin, { db, hub });
  await api.register(commandsPlugin, {
    db,
    audit,
    commands,
    applyDeviceChange: (deviceId, change) => heartbeats.applyDeviceChange(deviceId, change),
    onPrivacyEnabled: async (deviceId) => {
      await liveView?.onPrivacyEnabled(deviceId);
    },
  });
  await api.register(livePlugin, { db, hub, metrics, liveSessions });
  await api.register(callsPlugin, { db, calls, push, audit });
  if (liveView) {
    await api.register(liveViewPlugin, { db, liveView });
    // The relay's WHIP/WHEP routes need its pool: present when the app boots in start(), absent for inject() before it.
    if (running.relayPool) await api.register(relaySignalingPlugin, { liveView, pool: running.relayPool });
  }
}

/** Alerts and pruning run on the ingest leader only: two gateways would raise every alert twice. */
function leaderJobs({
  alerts,
  retention,
  log,
}: Pick<Services, "alerts" | "retention" | "log">): (leader: boolean) => void {
  let jobsRunning = false;
  return (leader) => {
    if (leader === jobsRunning) return;
    jobsRunning = leader;
    if (leader) {
      alerts.start().catch((err) => log.error({ err }, "alert monitor did not start"));
      retention.start();
    } else {
      void alerts.stop();
      retention.stop();
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
  });
  const lifecycle = new Lifecycle(app.log);
  // Filled in by start(): the broker, its client and the relay exist only once their I/O has begun.
  const running: Running = {
    broker: null,
    ingest: null,
    relayPool: null,
    credentialHasher: null,
    mqttPort: config.broker.port,
    httpPort: config.HTTP_PORT,
  };
  const services = createServices(config, { db, metrics, log: app.log }, overrides, running);
  const cluster = createCluster(config, services.hub, app.log);
  registerRoutes(app, config, services, running, startedAt);
  const { heartbeats, hub, state, alerts, commands, liveView, calls, storedListeners } = services;

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
    calls,
    get broker() {
      return running.broker;
    },
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
  cluster: ReturnType<typeof createCluster>;
  lifecycle: Lifecycle;
  running: Running;
  ownsDatabase: boolean;
}

/** Brings the gateway up in dependency order, registering each closer on the lifecycle as its step succeeds. */
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
  lifecycle.defer("heartbeat writer", async () => {
    await services.heartbeats.stop();
    await services.state.idle();
  });
  const mqttUrl = await startBrokerAndRelay(config, parts);
  await services.liveView?.closeOrphanedViews();
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
  const runJobs = leaderJobs(services);
  await lifecycle.step(
    "leader jobs",
    () => {
      leadership.events.on("change", runJobs);
      runJobs(leadership.isLeader);
    },
    async () => {
      leadership.events.off("change", runJobs);
      services.retention.stop();
      await services.alerts.stop();
    },
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
    () => services.calls.start(),
    () => services.calls.stop(),
  );
  // Closed first: waiting commands answer 503 so that closing HTTP does not wait for cameras.
  lifecycle.defer("commands and live views", async () => {
    services.commands.stop();
    await services.liveView?.stop();
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
          workers: config.RELAY_WORKERS,
          rtcPort: config.RELAY_RTC_PORT,
          network: { hostAddresses: config.RELAY_HOST_ADDRESSES },
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
  const { db, state, heartbeats, commands, hub, metrics, log, liveView, calls } = services;
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
      if (enabled) void liveView?.onPrivacyEnabled(deviceId);
    },
    onCallButton: (deviceId) => calls.onCallButton(deviceId),
    onCallDeclined: (deviceId) => calls.onCallDeclined(deviceId),
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
