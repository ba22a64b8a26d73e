// buildGateway(config): the whole service in one object with start() and stop(): database,
// embedded MQTT broker, the gateway's device-topic client, alert monitor and the HTTP/WS API.
import { readFileSync } from "node:fs";
import fastifySwagger from "@fastify/swagger";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { createBroker, type WangxiangBroker } from "../../broker/src/broker.ts";
import { createDatabase, type Database } from "../../core/database.ts";
import { providerOf, sqliteFileFromUrl } from "../../core/database-url.ts";
import { hashSecret, randomToken } from "../../core/secrets.ts";
import type { GatewayConfig } from "./config.ts";
import type { GatewayContext } from "./context.ts";
import { badRequest, installErrorHandler } from "./errors.ts";
import { containsNulCharacter } from "../../protocol/text.ts";
import { createMetrics } from "./metrics.ts";
import { alertsPlugin } from "./plugins/alerts.ts";
import { authPlugin } from "./plugins/auth.ts";
import { commandsPlugin } from "./plugins/commands.ts";
import { fleetPlugin } from "./plugins/fleet.ts";
import { householdsPlugin } from "./plugins/households.ts";
import { invitesPlugin } from "./plugins/invites.ts";
import { livePlugin } from "./plugins/live.ts";
import { observabilityPlugin } from "./plugins/observability.ts";
import { provisioningPlugin } from "./plugins/provisioning.ts";
import { webPlugin } from "./plugins/web.ts";
import { viewerPagePlugin } from "./plugins/viewer-page.ts";
import { securityPlugin } from "./plugins/security.ts";
import { liveViewPlugin } from "./plugins/live-view.ts";
import { LiveViewService } from "./live-view/live-view-service.ts";
import { ViewTokens } from "./live-view/view-tokens.ts";
import { createRelayPool, iceServerSource, relayMetricsCollector, type RelayPool } from "../../relay/src/index.ts";
import { seedDemoData, type DemoSeed } from "./seed.ts";
import { AlertMonitor } from "./services/alert-monitor.ts";
import { CommandDispatcher } from "./services/command-dispatcher.ts";
import { DeviceIngest } from "./services/device-ingest.ts";
import { DeviceStateTracker } from "./services/device-state.ts";
import { HeartbeatWriter, type PendingHeartbeat } from "./services/heartbeat-writer.ts";
import { TelemetryRetention } from "./services/telemetry-retention.ts";
import { LiveHub } from "./services/live-hub.ts";
import { brokerMetricsCollector } from "./broker-metrics.ts";
import { Redis } from "ioredis";
import { pubSubPrefix } from "../../broker/src/cluster.ts";
import { HubBridge, RedisLeadership, soleLeadership, type Leadership } from "./services/cluster.ts";

export interface Gateway {
  start(): Promise<{ httpPort: number; mqttPort: number; mqttTlsPort: number; seed: DemoSeed | null }>;
  stop(): Promise<void>;
  readonly app: FastifyInstance;
  readonly ctx: GatewayContext;
  readonly heartbeats: HeartbeatWriter;
  /** Called after each batch of heartbeats is committed (benchmarks measure arrival → stored with it). */
  onHeartbeatsStored(listener: (batch: PendingHeartbeat[], storedAt: Date) => void): () => void;
}

export interface GatewayOverrides {
  /** Use this database instead of opening DATABASE_URL (tests hand in a fresh one). */
  database?: Database;
  /** Where log lines go (default stdout); tests read them to check that no secret is logged. */
  logStream?: { write(line: string): void };
}

export function buildGateway(config: GatewayConfig, overrides: GatewayOverrides = {}): Gateway {
  const startedAt = Date.now();
  const provider = providerOf(config.DATABASE_URL);
  const db = overrides.database ?? createDatabase(config.DATABASE_URL);
  const metrics = createMetrics();
  // TURN credentials are minted per viewer session and camera stream, and expire (coturn's use-auth-secret).
  const iceServers = iceServerSource({
    servers: config.ICE_SERVERS,
    turn: config.TURN_SECRET ? { urls: config.TURN_URLS, secret: config.TURN_SECRET, ttlS: config.TURN_CREDENTIAL_TTL_S } : null,
  });
  const hub = new LiveHub();
  const state = new DeviceStateTracker(db, provider, hub);
  const tls = config.broker.tls;
  const app = Fastify({
    ...(tls ? { https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), minVersion: "TLSv1.2" as const } } : {}),
    logger: {
      level: config.LOG_LEVEL,
      redact: ["req.headers.authorization", "body.password", "body.claimCode", "mqttPassword"],
      ...(overrides.logStream ? { stream: overrides.logStream } : {}),
    },
    bodyLimit: 256 * 1024,
    trustProxy: true,
    // A URL that does not decode (/devices/%ff) fails before routing; answer it in the one error shape too.
    frameworkErrors: (error: Error, _request: unknown, reply: FastifyReply) => void reply.code(400).send({ error: "bad-url", message: error.message }),
  });
  const servicePassword = config.MQTT_SERVICE_PASSWORD ?? randomToken(24);
  // Cluster mode (REDIS_URL): one ingest leader among the gateways, live events shared (services/cluster.ts).
  const redisUrl = config.broker.cluster?.redisUrl;
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 2 }) : null;
  redis?.on("error", (err: Error) => app.log.warn({ err: err.message }, "Redis error"));
  const redisLeadership = redis ? new RedisLeadership(redis, config.INGEST_LEADER_TTL_MS, app.log) : null;
  const leadership: Leadership = redisLeadership ?? soleLeadership();
  const hubBridge = redis && redisUrl && redisLeadership ? new HubBridge(redis, hub, pubSubPrefix(redisUrl), redisLeadership.id, app.log) : null;
  let broker: WangxiangBroker | null = null;
  let mqttPort = config.broker.port;
  let httpPort = config.HTTP_PORT;
  let relayPool: RelayPool | null = null;
  let liveView: LiveViewService | null = null;

  const ingestRef: { current: DeviceIngest | null } = { current: null };
  const commands = new CommandDispatcher(db, (topic, payload, options) => {
    if (!ingestRef.current) return Promise.reject(new Error("not started"));
    return ingestRef.current.publish(topic, payload, options);
  }, hub, metrics, config.COMMAND_TIMEOUT_MS);
  const alerts = new AlertMonitor(db, hub, metrics, {
    offlineAfterMs: config.OFFLINE_ALERT_AFTER_S * 1000, repeatEveryMs: config.OFFLINE_ALERT_REPEAT_S * 1000, checkEveryMs: config.ALERT_CHECK_INTERVAL_S * 1000,
  }, app.log);
  state.onChange((change) => void alerts.onConnectionChange(change).catch((err) => app.log.error({ err }, "alert resolution failed")));
  const storedListeners = new Set<(batch: PendingHeartbeat[], storedAt: Date) => void>();
  const retention = new TelemetryRetention(db, config.TELEMETRY_RETENTION_DAYS * 86_400_000, app.log);
  const sqliteFile = provider === "sqlite" ? sqliteFileFromUrl(config.DATABASE_URL) : null;
  const heartbeats = new HeartbeatWriter(db, provider, sqliteFile, config.HEARTBEAT_FLUSH_MS, (batch, storedAt) => {
    for (const listener of storedListeners) listener(batch, storedAt);
    metrics.heartbeatsStored.inc(batch.length);
    for (const item of batch) metrics.heartbeatStoreLatency.observe((storedAt.getTime() - item.receivedAt.getTime()) / 1000);
  }, (err, lost) => app.log.error({ err, lost }, "heartbeats could not be stored"));

  // Alerts and pruning run on the ingest leader only: two gateways would raise every alert twice.
  let jobsRunning = false;
  const runJobs = (leader: boolean) => {
    if (leader === jobsRunning) return;
    jobsRunning = leader;
    if (leader) {
      alerts.start().catch((err) => app.log.error({ err }, "alert monitor did not start"));
      retention.start();
    } else {
      void alerts.stop();
      retention.stop();
    }
  };

  const ctx: GatewayContext = {
    config, db, provider, metrics, hub, state, commands, alerts, leadership,
    async disconnectDevice(deviceId) {
      broker?.disconnectDevice(deviceId);
      // Every broker listens on the control topic: the device may be on another one (cluster mode).
      await ingestRef.current?.requestDisconnect(deviceId).catch((err: Error) => app.log.warn({ deviceId, err: err.message }, "could not ask the brokers to disconnect a device"));
    },
    get ingest() {
      if (!ingestRef.current) throw new Error("gateway not started");
      return ingestRef.current;
    },
    get broker() {
      return broker;
    },
    get liveView() {
      return liveView;
    },
    log: app.log,
    mqttPort: () => mqttPort,
    async audit(actorId, action, subject, detail) {
      await db.auditEntry.create({ data: { actorId, action, subject, detail: detail === undefined ? null : JSON.stringify(detail) } });
    },
  };

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app, (route, error) => metrics.httpClientErrors.inc({ route, error }));
  // Before any route sees it: text with a NUL character is refused everywhere (see protocol/text.ts).
  app.addHook("preValidation", async (request) => {
    if (containsNulCharacter(request.params) || containsNulCharacter(request.query) || containsNulCharacter(request.body)) {
      throw badRequest("nul-character", "text may not contain NUL (U+0000) characters");
    }
  });
  app.addHook("onResponse", async (request, reply) => {
    metrics.httpDuration.observe({ method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  let pluginsRegistered: Promise<void> | null = null;
  const registerPlugins = async () => {
    await app.register(fastifySwagger, {
      openapi: { info: { title: "Wangxiang 望乡 gateway API", version: "1" }, components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } }, security: [{ bearer: [] }] },
      transform: jsonSchemaTransform,
    });
    await app.register(securityPlugin, { corsOrigins: config.CORS_ORIGINS, https: Boolean(tls) });
    await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
    await app.register(async (api) => {
      await api.register(authPlugin, { ctx });
      await api.register(householdsPlugin, { ctx });
      await api.register(invitesPlugin, { ctx });
      await api.register(provisioningPlugin, { ctx });
      await api.register(fleetPlugin, { ctx });
      await api.register(alertsPlugin, { ctx });
      await api.register(commandsPlugin, { ctx });
      await api.register(livePlugin, { ctx });
      if (relayPool && liveView) await api.register(liveViewPlugin, { ctx, liveView, pool: relayPool });
    }, { prefix: "/api/v1" });
    await app.register(observabilityPlugin, { ctx, startedAt });
    await app.register(viewerPagePlugin);
    await app.register(webPlugin);
  };

  return {
    app, ctx, heartbeats,
    onHeartbeatsStored(listener) {
      storedListeners.add(listener);
      return () => storedListeners.delete(listener);
    },
    async start() {
      if (provider === "sqlite") {
        // WAL lets the API read while heartbeats are written; busy_timeout rides out short write locks.
        await db.$queryRawUnsafe("PRAGMA journal_mode=WAL");
        await db.$queryRawUnsafe("PRAGMA busy_timeout=5000");
      }
      const seed = config.SEED_DEMO_DATA ? await seedDemoData(db, config.WX_DEMO_PASSWORD) : null;
      let mqttUrl = config.MQTT_URL ?? "";
      if (config.EMBEDDED_BROKER) {
        broker = createBroker({
          config: config.broker,
          credentials: {
            findDeviceCredential: (deviceId) =>
              db.device.findUnique({ where: { id: deviceId }, select: { credentialHash: true, claimState: true } }) as ReturnType<
                import("../../broker/src/broker.ts").DeviceCredentialLookup["findDeviceCredential"]>,
          },
          service: { username: config.MQTT_SERVICE_USER, passwordHash: await hashSecret(servicePassword, "device-credential") },
          logger: app.log,
        });
        mqttPort = (await broker.start()).port;
        metrics.registry.registerMetric(brokerMetricsCollector(broker));
        mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
        // Nothing is connected to a broker that has just started: whatever the database says. (In a cluster
        // the other brokers may hold those cameras; the leader's retained-status replay reconciles instead.)
        if (!redis) {
          const stale = await db.device.findMany({ where: { connection: "online" }, select: { id: true } });
          await Promise.all(stale.map((d) => state.markOffline(d.id, "gateway-restart")));
        }
      }
      if (config.RELAY_ENABLED) {
        relayPool = await createRelayPool({ workers: config.RELAY_WORKERS, rtcPort: config.RELAY_RTC_PORT, network: { hostAddresses: config.RELAY_HOST_ADDRESSES } });
        metrics.registry.registerMetric(relayMetricsCollector(relayPool));
        liveView = new LiveViewService(ctx, relayPool, new ViewTokens(config.VIEW_TOKEN_SECRET), {
          iceServers,
          publicHttpUrl: () => config.PUBLIC_HTTP_URL ?? `${tls ? "https" : "http"}://127.0.0.1:${httpPort}`,
          viewerTokenTtlMs: config.VIEW_TOKEN_TTL_S * 1000,
          stopGraceMs: config.STREAM_STOP_GRACE_S * 1000,
          startTimeoutMs: config.STREAM_START_TIMEOUT_MS,
          installerWindowMs: 2 * 3600_000,
        });
        state.onChange((change) => { if (change.state === "offline") liveView?.onCameraOffline(change.deviceId); });
      }
      await hubBridge?.start();
      await leadership.start();
      const ingest = new DeviceIngest({ url: mqttUrl, username: config.MQTT_SERVICE_USER, password: servicePassword, db, state, heartbeats, commands, hub, metrics, log: app.log, leadership,
        // Alone with its own broker, the gateway reads device topics in-process; in a cluster it is one client among several.
        embeddedBroker: broker && !redis ? broker : undefined,
        onPrivacyChanged: (deviceId, enabled) => { if (enabled) void liveView?.onPrivacyEnabled(deviceId); } });
      ingestRef.current = ingest;
      await ingest.start();
      leadership.events.on("change", runJobs);
      runJobs(leadership.isLeader);
      pluginsRegistered ??= registerPlugins();
      await pluginsRegistered;
      try {
        await app.listen({ port: config.HTTP_PORT, host: config.HTTP_HOST });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") throw new Error(`HTTP port ${config.HTTP_PORT} is already in use; set HTTP_PORT to another port`);
        throw error;
      }
      const address = app.server.address();
      httpPort = typeof address === "object" && address ? address.port : config.HTTP_PORT;
      return { httpPort, mqttPort, mqttTlsPort: broker?.tlsPort ?? 0, seed };
    },
    async stop() {
      leadership.events.off("change", runJobs);
      await leadership.stop();
      await alerts.stop();
      retention.stop();
      liveView?.stop();
      commands.stop();
      await app.close();
      await relayPool?.close();
      await ingestRef.current?.stop();
      await heartbeats.stop();
      await state.idle();
      await broker?.stop();
      await hubBridge?.stop();
      redis?.disconnect();
      if (!overrides.database) await db.$disconnect();
    },
  };
}
