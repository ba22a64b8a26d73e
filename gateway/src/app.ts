// buildGateway(config): the gateway's composition root, to be read as its table of contents.
// - Built at construction, with no I/O: every part whose making needs nothing started, and the HTTP app with
//   the routes those parts serve (route tests use app.inject() with no broker, relay or port).
// - start() brings up what needs I/O in dependency order, each step returning what it started and pushing its
//   closer on the lifecycle stack (core/lifecycle.ts): database → run record → ingest worker → credential key →
//   broker → relay → leadership → device link → jobs → the routes that need started parts → HTTP → calls.
// - stop() unwinds that stack in reverse, within a deadline.
import type { FastifyInstance } from "fastify";
import type { WangxiangBroker } from "../../broker/src/broker.ts";
import { createSqlReader } from "../../core/sql-reader.ts";
import { createDatabase } from "../../core/database.ts";
import { providerOf } from "../../core/database-url.ts";
import { DeviceCredentialHasher, loadDeviceCredentialKey } from "../../core/device-credentials.ts";
import { Lifecycle } from "../../core/lifecycle.ts";
import { randomToken } from "../../core/secrets.ts";
import { relayMetricsCollector, type RelayPool } from "../../relay/src/index.ts";
import { checkSessions, registerAccessRoutes, sessionsClosingSockets } from "./access/access-parts.ts";
import { databaseAuditLog } from "./access/audit.ts";
import { reachableMembers } from "./calls/call-escalation.ts";
import { createCalls, createPush, registerCallRoutes } from "./calls/call-parts.ts";
import { CallWindowGate } from "./calls/call-windows.ts";
import { createCluster } from "./cluster-mode.ts";
import type { GatewayConfig } from "./config.ts";
import { cameraAlertKinds } from "./device-plane/alert-monitor.ts";
import { runWhileLeader } from "./device-plane/cluster.ts";
import type { CommandDispatcher } from "./device-plane/command-dispatcher.ts";
import { DeviceIngest } from "./device-plane/device-ingest.ts";
import { DeviceLink } from "./device-plane/device-link.ts";
import * as devicePlane from "./device-plane/device-plane-parts.ts";
import { provisioningPlugin } from "./device-plane/provisioning-routes.ts";
import { dropPagesOnChange } from "./device-plane/shared-pages.ts";
import { LiveHub } from "./events/live-hub.ts";
import { LiveSessions } from "./events/live-sessions.ts";
import { chooseLiveSubprotocol, livePlugin } from "./events/live-socket.ts";
import { observabilityPlugin } from "./http/observability.ts";
import { createHttpServer, listenOn, ownUrl } from "./http/server.ts";
import { viewerPagePlugin } from "./http/viewer-page.ts";
import { webPlugin } from "./http/web.ts";
import { createLiveView, RelayHandle, routeLiveViewToOwners, viewerCuts } from "./live-view/live-view-parts.ts";
import { liveViewPlugin, relaySignalingPlugin } from "./live-view/live-view-routes.ts";
import { createMessaging } from "./messaging.ts";
import type { Gateway, GatewayOverrides } from "./gateway.ts";
import { createMetrics, type GatewayMetrics } from "./metrics.ts";
import { messageRoutesPlugin } from "./notify/message-routes.ts";
import { seedDemoData } from "./seed.ts";
import { createSiteChecks } from "./site-check/site-check-parts.ts";
import { siteCheckPlugin } from "./site-check/site-check-routes.ts";
import { createSnapshots } from "./snapshots/snapshot-parts.ts";
import { snapshotsPlugin } from "./snapshots/snapshot-routes.ts";
import { createWellbeing } from "./wellbeing/wellbeing-parts.ts";
import { wellbeingPlugin } from "./wellbeing/wellbeing-routes.ts";

/** stop() gives up on a step that has not finished by then (main.ts must exit within 10 s of SIGTERM). */
const STOP_DEADLINE_MS = 8_000;

export type { Gateway, GatewayOverrides } from "./gateway.ts";

/** Cameras as devices, live view and cluster mode: the parts the others are built on. */
function buildDeviceSide(
  config: GatewayConfig,
  overrides: GatewayOverrides,
  app: FastifyInstance,
  metrics: GatewayMetrics,
) {
  const db = overrides.database ?? createDatabase(config.DATABASE_URL);
  // The hottest reads on the driver (core/sql-reader.ts), closed with the app.
  const reads = createSqlReader(config.DATABASE_URL, { pgSchema: overrides.databaseSchema });
  app.addHook("onClose", () => reads.close());
  const log = app.log;
  const base = { db, reads, metrics, log, hub: new LiveHub(log) };
  const { hub } = base;
  const liveSessions = new LiveSessions();
  const sessions = sessionsClosingSockets(db, liveSessions, config);
  const link = new DeviceLink(log);
  const devices = devicePlane.createDevicePlane(config, base, link, overrides.databaseSchema);
  const { commands, state } = devices;
  dropPagesOnChange(app, devices.staffPages);
  const callWindows = new CallWindowGate(reads, metrics);
  const relay = new RelayHandle();
  const publicHttpUrl = () => config.PUBLIC_HTTP_URL ?? ownUrl(app, config.HTTP_PORT, config.broker.tls);
  const admitView = callWindows.assertMayStartView.bind(callWindows);
  const liveView = createLiveView(config, { db, commands, hub, log, state, admitView, relay, publicHttpUrl });
  // Sessions ended here or on another gateway: what was granted under them (live views) is checked again now.
  sessions.onEnded(({ scope }) => void liveView?.recheckViews({ userId: scope.userId }));
  const internalUrl = () => config.GATEWAY_INTERNAL_URL ?? ownUrl(app, config.HTTP_PORT, config.broker.tls);
  const cluster = createCluster(config, { hub, log, liveView, sessions, internalUrl });
  const cuts = viewerCuts(liveView, cluster.clusterCuts);
  const audit = databaseAuditLog(db);
  return {
    base,
    ...devices,
    sessions,
    liveSessions,
    audit,
    link,
    callWindows,
    relay,
    liveView,
    cluster,
    cuts,
    publicHttpUrl,
  };
}

/** The parts that need no I/O to be made, in dependency order; each gets the others it uses as named options. */
function buildParts(config: GatewayConfig, overrides: GatewayOverrides, app: FastifyInstance, metrics: GatewayMetrics) {
  const device = buildDeviceSide(config, overrides, app, metrics);
  const { base, commands, state, alerts, liveView, cuts, publicHttpUrl, link, cluster } = device;
  const { db, hub, log } = base;
  const sendCommand: CommandDispatcher["send"] = (deviceId, command, by) => commands.send(deviceId, command, by);
  const push = createPush(config, base, overrides.pushCa);
  const messaging = createMessaging(config, { db, metrics, log, push });
  const { notifier, escalation } = messaging;
  const { calls, notices } = createCalls(config, {
    ...{ ...base, push, notifier, sendCommand, liveView, cuts },
    onFromHomeCall: escalation.onFromHomeCall,
  });
  alerts.onAlertsChanged = (at, signal) => notices.sync(at, signal);
  const wellbeing = createWellbeing(config, {
    ...{ db, hub, log, push, notifier, sendCommand, clock: overrides.wellbeingClock },
    reachableMembers: (householdId, now) => reachableMembers(db, householdId, now),
  });
  state.events.on("change", (change) => {
    if (change.state !== "online") return;
    calls.onCameraOnline(change.deviceId);
    void wellbeing.onCameraOnline(change.deviceId);
  });
  const ingest = new DeviceIngest({
    ...{ link, db, state, heartbeats: device.heartbeats, commands, hub, metrics, log },
    leadership: cluster.leadership,
    onPrivacyChanged: (deviceId, enabled) => {
      if (enabled) void cuts.privacyEnabled(deviceId);
      else void calls.onPrivacyOff(deviceId).catch((err) => log.error({ err }, "privacy time not cleared"));
    },
    onCallButton: (deviceId) => calls.onCallButton(deviceId),
    onCallDeclined: (deviceId) => calls.onCallDeclined(deviceId),
    onCameraHealthy: (deviceId, at) => alerts.closeAlertsOf(deviceId, at, cameraAlertKinds),
    onActivity: (deviceId, report) => wellbeing.ingest(deviceId, report),
  });
  return {
    ...{ ...base, ...device, ingest, push, messaging, calls, notices, wellbeing },
    ...createSnapshots(config, { ...base, sendCommand, publicHttpUrl }),
    siteChecks: createSiteChecks(config, { db, log, sendCommand, liveView }),
    // The gateway's own MQTT password (generated when MQTT_SERVICE_PASSWORD is unset).
    servicePassword: config.MQTT_SERVICE_PASSWORD ?? randomToken(24),
  };
}
type Parts = ReturnType<typeof buildParts>;

/** The routes of the parts built with no I/O: present from construction, so app.inject() reaches them. */
function registerRoutes(app: FastifyInstance, config: GatewayConfig, parts: Parts, startedAt: number): void {
  const { db, metrics, log, sessions, cuts, messaging } = parts;
  const count = (outcome: string) => metrics.streamRouting.inc({ outcome });
  routeLiveViewToOwners(app, config, parts.cluster.streamOwners, { count, log });
  const api = async (scope: FastifyInstance) => {
    await checkSessions(scope, sessions);
    await registerAccessRoutes(scope, config, {
      ...{ ...parts, phoneCodes: messaging.phoneCodes, guessLimiters: parts.cluster.guessLimiters },
      cutViewer: (userId, scope) => cuts.cutViewer(userId, scope),
    });
    await scope.register(messageRoutesPlugin, { db, notifier: messaging.notifier });
    await registerDeviceRoutes(scope, config, parts);
  };
  app.register(api, { prefix: "/api/v1" });
  app.register(observabilityPlugin, {
    ...{ db, metrics, startedAt, metricsToken: config.METRICS_TOKEN },
    brokerConnected: () => parts.link.isConnected,
  });
  app.register(viewerPagePlugin);
  app.register(webPlugin);
}

/** Cameras and what happens around them: the fleet, live events, site checks, calls, stills, wellbeing, live view. */
async function registerDeviceRoutes(api: FastifyInstance, config: GatewayConfig, parts: Parts): Promise<void> {
  const { db, audit, liveSessions, sessions, liveView, metrics, hub } = parts;
  await devicePlane.registerDevicePlaneRoutes(api, config, {
    ...parts,
    onPrivacyEnabled: (deviceId) => parts.cuts.privacyEnabled(deviceId),
  });
  await api.register(livePlugin, { db, hub, metrics, liveSessions, sessions });
  await api.register(siteCheckPlugin, { db, audit, siteChecks: parts.siteChecks });
  await registerCallRoutes(api, parts);
  await api.register(snapshotsPlugin, {
    ...{ db, reads: parts.reads, audit, snapshots: parts.snapshots },
    // A still shows the inside of the home as a view does: a call window holds it back the same way.
    admitStill: (householdId) => parts.callWindows.assertMayStartView(householdId, "look-in"),
  });
  await api.register(wellbeingPlugin, { db, audit, wellbeing: parts.wellbeing });
  if (liveView) await api.register(liveViewPlugin, { db, reads: parts.reads, liveView });
}

/** What start() brought up, each made by its own step; the routes that need them are registered with them. */
interface Started {
  credentialHasher: DeviceCredentialHasher;
  broker: WangxiangBroker | null;
  relayPool: RelayPool | null;
}

/** Provisioning (a claim hashes under the credential key, a revocation reaches the broker) and the relay's WHIP/WHEP. */
function registerStartedRoutes(app: FastifyInstance, config: GatewayConfig, parts: Parts, started: Started): void {
  const { liveView, cuts } = parts;
  const cutViewers = (deviceId: string, reason: string) => cuts.cutCamera(deviceId, reason);
  const api = async (scope: FastifyInstance) => {
    await checkSessions(scope, parts.sessions);
    await scope.register(provisioningPlugin, {
      provisioning: devicePlane.provisioningDeps(parts, started, cutViewers),
      claimFailuresPer15Min: config.CLAIM_FAILURES_PER_15_MIN,
      guessLimiters: parts.cluster.guessLimiters,
      cameraSettings: devicePlane.cameraSettings(config, started.broker),
    });
    if (liveView && started.relayPool)
      await scope.register(relaySignalingPlugin, { liveView, pool: started.relayPool });
  };
  app.register(api, { prefix: "/api/v1" });
}

export function buildGateway(config: GatewayConfig, overrides: GatewayOverrides = {}): Gateway {
  const startedAt = Date.now();
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
  const parts = buildParts(config, overrides, app, metrics);
  registerRoutes(app, config, parts, startedAt);
  let broker: WangxiangBroker | null = null;
  let relayPool: RelayPool | null = null;
  let startCalled = false;
  return {
    ...{ app, metrics, hub: parts.hub, state: parts.state, alerts: parts.alerts, commands: parts.commands },
    ...{ heartbeats: parts.heartbeats, liveView: parts.liveView, calls: parts.calls, messaging: parts.messaging },
    ...{ snapshots: parts.snapshots, snapshotSchedule: parts.snapshotSchedule, wellbeing: parts.wellbeing },
    ...{ leadership: parts.cluster.leadership, streamOwners: parts.cluster.streamOwners },
    ingestThread: parts.ingestThread,
    get broker() {
      return broker;
    },
    get relayPool() {
      return relayPool;
    },
    onHeartbeatsStored(listener) {
      parts.storedListeners.add(listener);
      return () => parts.storedListeners.delete(listener);
    },
    async start() {
      startCalled = true;
      const started = await startGateway(config, { app, parts, lifecycle, ownsDatabase: !overrides.database });
      ({ broker, relayPool } = started);
      return started.ports;
    },
    async stop() {
      // Never started (route tests that only used app.inject()): the app and the database are all there is.
      if (!startCalled)
        lifecycle.defer("database and app", async () => {
          await app.close();
          await parts.ingestThread.stop();
          if (!overrides.database) await parts.db.$disconnect();
        });
      startCalled = true;
      await lifecycle.stop(STOP_DEADLINE_MS);
    },
  };
}

interface StartParts {
  app: FastifyInstance;
  parts: Parts;
  lifecycle: Lifecycle;
  ownsDatabase: boolean;
}

/** Brings the gateway up in dependency order, registering each closer on the lifecycle as its step succeeds. */
async function startGateway(config: GatewayConfig, startParts: StartParts) {
  const { app, parts, lifecycle } = startParts;
  const { db, cluster, log, liveView } = parts;
  const seed = await startDatabase(config, startParts);
  const credentialHasher = new DeviceCredentialHasher(await loadDeviceCredentialKey(db, config.broker.credentialKey));
  const broker = config.EMBEDDED_BROKER
    ? await lifecycle.step(
        "broker",
        () => devicePlane.startEmbeddedBroker(config, parts, credentialHasher, parts.servicePassword),
        (started) => started.stop(),
      )
    : null;
  const relayPool = liveView
    ? await lifecycle.step(
        "relay",
        () => parts.relay.start(config, log),
        (p) => p.close(),
      )
    : null;
  if (relayPool) parts.metrics.registry.registerMetric(relayMetricsCollector(relayPool));
  await liveView?.closeOrphanedViews();
  await parts.siteChecks.closeOrphaned();
  // Label sheets past their retention are emptied now, then hourly: a gateway that was down for a month
  // must not serve old claim codes until its first hourly sweep.
  await lifecycle.startPart("label-sheet retention", parts.labelRetention);
  await lifecycle.startPart("live-event bridge", cluster.hubBridge);
  await lifecycle.startPart("leadership", cluster.leadership);
  await devicePlane.startDeviceIngest(config, lifecycle, { ...parts, inCluster: cluster.redis !== null }, broker);
  // Alert checks, retention, snapshot rounds and wellbeing run on the ingest leader only, and move with leadership.
  const { retention, snapshotSchedule, wellbeing, alerts } = parts;
  const jobs = { "telemetry retention": retention, "snapshot rounds": snapshotSchedule, wellbeing, alerts };
  await lifecycle.step(
    "leader jobs",
    () => runWhileLeader(cluster.leadership, jobs, log),
    (stop) => stop(),
  );
  // Cluster mode: viewers cut on every gateway, and this gateway's records of the streams it holds. These are
  // unwound after HTTP has closed: no request can take a camera any more when the records are released.
  await lifecycle.startPart("live-view cuts channel", cluster.clusterCuts);
  await lifecycle.startPart("stream owner records", cluster.streamOwners);
  await lifecycle.startPart("session endings channel", cluster.sessionChannel);
  registerStartedRoutes(app, config, parts, { credentialHasher, broker, relayPool });
  const listening = () => listenOn(app, config.HTTP_PORT, config.HTTP_HOST);
  const httpPort = await lifecycle.step("http", listening, () => app.close());
  await startCalls(parts, lifecycle);
  const ports = { httpPort, mqttPort: broker?.port ?? config.broker.port, mqttTlsPort: broker?.tlsPort ?? 0 };
  return { broker, relayPool, ports: { ...ports, seed } };
}

/** The database (and demo data), the run record, and the worker thread that writes heartbeats and statuses. */
async function startDatabase(config: GatewayConfig, { parts, lifecycle, ownsDatabase }: StartParts) {
  const { db, cluster, runs, ingestThread } = parts;
  const { redis } = cluster;
  if (ownsDatabase) lifecycle.defer("database", () => db.$disconnect());
  if (redis) lifecycle.defer("redis", () => redis.disconnect());
  if (providerOf(config.DATABASE_URL) === "sqlite") {
    // WAL lets the API read while heartbeats are written; busy_timeout rides out short write locks.
    await db.$queryRawUnsafe("PRAGMA journal_mode=WAL");
    await db.$queryRawUnsafe("PRAGMA busy_timeout=5000");
  }
  const seed = config.SEED_DEMO_DATA ? await seedDemoData(db, config.WX_DEMO_PASSWORD) : null;
  await lifecycle.step(
    "gateway run record",
    () => runs.begin(),
    () => runs.end(),
  );
  await lifecycle.startPart("ingest worker", ingestThread);
  lifecycle.defer("heartbeat writer", async () => {
    await parts.heartbeats.stop();
    await parts.state.idle();
  });
  return seed;
}

/** Calls (and SMS receipts) start last; commands and live views are closed first when the gateway stops. */
async function startCalls({ calls, messaging, commands, liveView, siteChecks }: Parts, lifecycle: Lifecycle) {
  const start = async () => {
    await calls.start();
    messaging.receipts?.start();
  };
  await lifecycle.step("calls", start, async () => {
    calls.stop();
    await messaging.escalation.stop();
    await messaging.receipts?.stop();
  });
  // Closed first: waiting commands answer 503 so that closing HTTP does not wait for cameras.
  lifecycle.defer("commands and live views", async () => {
    commands.stop();
    await liveView?.stop();
    await siteChecks.stop();
  });
}
