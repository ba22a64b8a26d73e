// Prometheus metrics, one registry per gateway instance (tests start several).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Snapshot uploads, requests and the retention sweep (gateway/src/snapshots/). */
function snapshotMetrics(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    snapshotUploads: counter(
      "wx_snapshot_uploads_total",
      "Stills cameras uploaded, by outcome (stored, or the error code that refused it: nothing stored)",
      ["outcome"],
    ),
    snapshotRequests: counter(
      "wx_snapshot_requests_total",
      "Stills the gateway asked cameras for, by reason (request, periodic) and outcome (stored or an error code)",
      ["reason", "outcome"],
    ),
    snapshotsDeleted: counter("wx_snapshots_deleted_total", "Stills deleted by the retention sweep"),
  };
}

/** SMS, voice calls and sign-in codes (gateway/src/notify/, gateway/src/access/phone-codes.ts). */
function messagingMetrics(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    messages: counter(
      "wx_messages_total",
      "SMS and voice calls by channel, template and outcome (sent, failed, refused: a daily cap, skipped: no provider or template)",
      ["channel", "template", "outcome"],
    ),
    providerErrors: counter(
      "wx_message_provider_errors_total",
      "Tries the SMS or voice provider did not take, by channel and failure (unavailable, throttled, rejected)",
      ["channel", "failure"],
    ),
    receipts: counter(
      "wx_message_receipts_total",
      "SMS delivery receipts pulled from the provider, by state (delivered, undelivered)",
      ["state"],
    ),
    phoneCodes: counter(
      "wx_phone_codes_total",
      "Sign-in codes by event (sent, refused by a limit, checked right or wrong, expired, out of tries)",
      ["event"],
    ),
  };
}

/** Counters and gauges registered in one registry. */
function makers(registry: Registry) {
  return {
    counter: <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      new Counter({ name, help, labelNames, registers: [registry] }),
    gauge: <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      new Gauge({ name, help, labelNames, registers: [registry] }),
  };
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "wx_process_" });
  const make = makers(registry);
  return {
    registry,
    ...httpMetrics(registry),
    ...deviceMessageMetrics(registry),
    ...ingestMetrics(registry),
    ...fleetMetrics(registry),
    pushes: make.counter(
      "wx_pushes_total",
      "Web Push messages by kind and outcome (sent, expired: subscription removed, failed)",
      ["kind", "outcome"],
    ),
    ...messagingMetrics(registry),
    ...callMetrics(registry),
    ...snapshotMetrics(registry),
    ...liveUpdateMetrics(registry),
    brokerGauge: (name: string, help: string) => make.gauge(name, help),
  };
}

/** The API's latency and its refusals. */
function httpMetrics(registry: Registry) {
  return {
    httpDuration: new Histogram({
      name: "wx_http_request_duration_seconds",
      help: "HTTP request latency",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    httpClientErrors: makers(registry).counter(
      "wx_http_client_errors_total",
      "HTTP requests refused (4xx), by route and reason",
      ["route", "error"],
    ),
  };
}

/** What cameras send over MQTT, and how fast their heartbeats are stored. */
function deviceMessageMetrics(registry: Registry) {
  const { counter } = makers(registry);
  return {
    mqttMessages: counter("wx_mqtt_messages_total", "Device messages received by the gateway, by kind", ["kind"]),
    mqttInvalidPayloads: counter(
      "wx_mqtt_invalid_payloads_total",
      "Device messages dropped because their payload failed validation",
      ["kind"],
    ),
    heartbeatsStored: counter("wx_heartbeats_stored_total", "Heartbeats written to the database"),
    heartbeatStoreLatency: new Histogram({
      name: "wx_heartbeat_store_latency_seconds",
      help: "From heartbeat arrival at the gateway to its database commit",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}

/** The fleet: cameras online and offline, their alerts, batch intake and commands. */
function fleetMetrics(registry: Registry) {
  const { counter, gauge } = makers(registry);
  return {
    devicesOnline: gauge("wx_devices_online", "Cameras whose last status is online"),
    devicesOffline: gauge("wx_devices_offline", "Claimed cameras whose last status is offline"),
    alertsOpen: gauge("wx_alerts_open", "Offline alerts not yet resolved"),
    alertsRaised: counter("wx_alerts_raised_total", "Offline alerts raised"),
    alertsNotified: counter("wx_alert_notifications_total", "Alert notifications sent (first and repeats)"),
    batchRows: counter(
      "wx_batch_rows_total",
      "Rows of batch intake uploads by outcome (registered, unchanged, or the reason a row was rejected)",
      ["outcome"],
    ),
    commands: counter("wx_commands_total", "Commands to cameras by name and outcome", ["name", "status"]),
  };
}

/** Calls, and where a live view's stream is served in a cluster. */
function callMetrics(registry: Registry) {
  const { counter } = makers(registry);
  return {
    calls: counter("wx_calls_total", "Calls by direction and how they ended", ["direction", "state"]),
    callRefusals: counter(
      "wx_call_refusals_total",
      "Call actions refused (answered twice, camera offline, unknown call)",
      ["reason"],
    ),
    streamRouting: counter(
      "wx_stream_routing_total",
      "Cluster mode: live-view requests handled here or proxied to the gateway holding the camera's stream, and why not",
      ["outcome"],
    ),
  };
}

/** Notices to households and the live-update WebSocket. */
function liveUpdateMetrics(registry: Registry) {
  const { counter, gauge } = makers(registry);
  return {
    notices: counter(
      "wx_family_notices_total",
      "Notices to households about their cameras (camera-offline, camera-back)",
      ["kind"],
    ),
    wsClients: gauge("wx_ws_clients", "Open live-update WebSocket connections"),
    wsInvalidMessages: counter("wx_ws_invalid_messages_total", "WebSocket messages refused by validation"),
    wsHandlerFailures: counter(
      "wx_ws_handler_failures_total",
      "WebSocket messages whose handling failed inside the gateway (answered with an error)",
    ),
  };
}

/** The ingest worker's queue (device-plane/ingest/): what was dropped, restarted, abandoned, and what waits. */
function ingestMetrics(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    ingestDropped: counter(
      "wx_ingest_dropped_total",
      "Device messages dropped because too many were waiting for the database (the bounded ingest queue's last resort)",
      ["kind"],
    ),
    ingestWorkerRestarts: counter(
      "wx_ingest_worker_restarts_total",
      "Ingest worker threads that died and were replaced (their unanswered batches are written by the next)",
    ),
    ingestAbandoned: counter(
      "wx_ingest_abandoned_batches_total",
      "Ingest batches given up because every worker that tried to write them died",
    ),
    /** Heartbeats received and not yet committed, read when /metrics is scraped. */
    watchIngestQueue: (queued: () => number) =>
      new Gauge({
        name: "wx_ingest_queued_heartbeats",
        help: "Heartbeats received and not yet committed (collected here or being written by the ingest worker)",
        registers: [registry],
        collect() {
          this.set(queued());
        },
      }),
  };
}

export type GatewayMetrics = ReturnType<typeof createMetrics>;
