// Gateway configuration: read once from the environment through one schema, defaults good for `npm start`.
import { z } from "zod";
import { readBrokerConfig, type BrokerConfig } from "../../broker/src/config.ts";
import { defaultSqliteUrl } from "../../core/database-url.ts";
import { iceServer } from "../../protocol/device-messages.ts";
import { defaultPushServiceHosts } from "./calls/push-endpoints.ts";
import { trustedProxiesSchema } from "./http/trusted-proxies.ts";

const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().positive();
const days = z.coerce.number().positive();
const iceServers = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({
        code: "custom",
        message:
          'ICE_SERVERS must be JSON, e.g. [{"urls":"turn:turn.example.cn:3478","username":"u","credential":"p"}]',
      });
      return z.NEVER;
    }
  })
  .pipe(z.array(iceServer));
/** A comma-separated list; empty or unset is no items. */
const commaList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  );
const flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");

export const gatewayEnvSchema = z.object({
  HTTP_PORT: port.default(8080),
  HTTP_HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: z.string().min(1).default(defaultSqliteUrl),
  /** How cameras should reach the broker, sent to them in the claim reply. Default: mqtt://<host of the claim request>:MQTT_PORT */
  PUBLIC_MQTT_URL: z.string().url().optional(),
  /** Set to run only the gateway against a broker started elsewhere (then MQTT_URL and MQTT_SERVICE_PASSWORD are needed). */
  EMBEDDED_BROKER: flag.default(true),
  MQTT_URL: z.string().url().optional(),
  MQTT_SERVICE_USER: z.string().min(1).default("wangxiang-gateway"),
  /** Generated per process when the broker is embedded and none is given. */
  MQTT_SERVICE_PASSWORD: z.string().min(12).optional(),
  SESSION_TTL_S: seconds.default(8 * 3600),
  HEARTBEAT_INTERVAL_S: seconds.default(30),
  DEVICE_KEEPALIVE_S: seconds.default(60),
  OFFLINE_ALERT_AFTER_S: seconds.default(300),
  OFFLINE_ALERT_REPEAT_S: seconds.default(3600),
  ALERT_CHECK_INTERVAL_S: seconds.default(15),
  COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  TELEMETRY_RETENTION_DAYS: days.default(30),
  /** Label sheets hold claim codes: they are emptied this many days after printing (at start and hourly). */
  LABEL_RETENTION_DAYS: days.default(30),
  /** Seconds of stream the installer's on-site check measures through the relay. */
  SITE_CHECK_STREAM_S: z.coerce.number().int().min(2).max(50).default(10),
  /** Each batch waits up to this long before the write: half of the 100 ms p99 target at 50 (bench/broker-bench.md). */
  HEARTBEAT_FLUSH_MS: z.coerce.number().int().min(1).default(25),
  INGEST_MAX_QUEUED_HEARTBEATS: z.coerce.number().int().min(100).default(200_000),
  LOGIN_FAILURES_PER_15_MIN: z.coerce.number().int().min(1).default(10),
  CLAIM_FAILURES_PER_15_MIN: z.coerce.number().int().min(1).default(10),
  /** Live view. STUN (or fixed-credential TURN) servers for cameras and viewers (JSON list of RTCIceServer). */
  ICE_SERVERS: iceServers.default([]),
  /** TURN servers (comma-separated URLs) that check coturn's use-auth-secret: per-client credentials that expire. */
  TURN_URLS: commaList,
  /** The secret shared with coturn (its static-auth-secret). */
  TURN_SECRET: z.string().min(16).optional(),
  TURN_CREDENTIAL_TTL_S: z.coerce.number().int().min(60).max(86_400).default(3600),
  RELAY_ENABLED: flag.default(true),
  /** A viewer or camera whose WebRTC handshake has not finished this long after its offer is dropped. */
  RELAY_CONNECT_TIMEOUT_S: seconds.default(40),
  /** Relay (mediasoup) workers; default one per core. */
  RELAY_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  /** Worker i takes UDP and TCP port RELAY_RTC_PORT + i for all its WebRTC traffic; 0: ephemeral ports. */
  RELAY_RTC_PORT: port.default(40000),
  /** Host addresses the relay offers as ICE candidates (comma-separated); default all interfaces. */
  RELAY_HOST_ADDRESSES: commaList,
  /** How cameras reach this gateway's WHIP endpoint. Default: http://127.0.0.1:HTTP_PORT */
  PUBLIC_HTTP_URL: z.string().url().optional(),
  /** Key that signs viewer and publish tokens; give every gateway the same one. Default: random per process. */
  VIEW_TOKEN_SECRET: z.string().min(16).optional(),
  VIEW_TOKEN_TTL_S: seconds.default(3600),
  STREAM_STOP_GRACE_S: seconds.default(20),
  /** A call rings this long before it counts as missed. */
  CALL_RING_S: seconds.default(45),
  /** An answered call nobody is watching this long after the answer ends (the caller's app closed, relay off). */
  CALL_UNWATCHED_END_S: seconds.default(60),
  /** A household is told its camera is offline once it has been offline this long (and again when it is back). */
  FAMILY_NOTICE_OFFLINE_S: seconds.default(1800),
  /** VAPID contact for push services (RFC 8292 "sub"): mailto: or https: of the operator. */
  /** A request must arrive whole (headers and body) within this; slow senders are cut off (408). */
  HTTP_REQUEST_TIMEOUT_S: seconds.default(30),
  /** Push services Web Push may reach (comma-separated hosts, "*.example.com" for subdomains); only at public addresses. */
  PUSH_SERVICE_HOSTS: commaList.transform((hosts) => (hosts.length ? hosts : defaultPushServiceHosts)),
  PUSH_CONTACT: z
    .string()
    .regex(/^(mailto:|https:)/, "PUSH_CONTACT must start with mailto: or https:")
    .default("mailto:ops@wangxiang.invalid"),
  STREAM_START_TIMEOUT_MS: z.coerce.number().int().min(100).default(8000),
  /** Browser origins allowed to call the API from elsewhere (comma-separated); default same origin only. */
  CORS_ORIGINS: commaList,
  /** Cluster mode (REDIS_URL): lifetime of the ingest leader's lease; a standby takes over within it. */
  INGEST_LEADER_TTL_MS: z.coerce.number().int().min(300).max(600_000).default(10_000),
  /** Cluster mode: how the other gateways reach this one's HTTP (live view is proxied to the gateway holding a
   *  camera's stream). Default: http(s)://127.0.0.1:HTTP_PORT, right only when every gateway runs on one machine. */
  GATEWAY_INTERNAL_URL: z
    .string()
    .url()
    .regex(/^https?:\/\//, "GATEWAY_INTERNAL_URL must be an http:// or https:// URL")
    .optional(),
  /** Cluster mode: lease of a gateway's record that it holds a camera's stream; another takes over within it. */
  STREAM_OWNER_TTL_MS: z.coerce.number().int().min(300).max(600_000).default(10_000),
  /** Snapshots: every N minutes each online camera not in privacy mode posts a still; 0 turns the timer off. */
  SNAPSHOT_INTERVAL_MIN: z.coerce.number().min(0).default(30),
  /** Largest still a camera may upload, bytes. */
  SNAPSHOT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(4096)
    .max(16 * 1024 * 1024)
    .default(512 * 1024),
  /** Stills older than this are deleted (a sweep at start, then hourly). */
  SNAPSHOT_RETENTION_DAYS: days.default(7),
  /** People's stills of one camera at most this often (the periodic timer is not counted): bounds the disk too. */
  SNAPSHOT_PERSON_INTERVAL_S: z.coerce.number().min(0).default(10),
  /** How long a camera's one-time upload URL works. */
  SNAPSHOT_UPLOAD_TTL_S: z.coerce.number().int().min(5).max(3600).default(60),
  /** Where the stills are kept on disk (one folder per camera). */
  SNAPSHOT_DIR: z.string().min(1).default("./data/snapshots"),
  /** A font with Chinese glyphs for the box label sheets (a .ttc holding WenQuanYi Micro Hei, or a .ttf). */
  LABEL_FONT_FILE: z.string().min(1).default("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
  SEED_DEMO_DATA: flag.default(true),
  WX_DEMO_PASSWORD: z.string().min(8).default("wangxiang-demo"),
  /** Reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed; default none. */
  TRUST_PROXY: trustedProxiesSchema,
  /** Bearer token Prometheus must send for /metrics; without it, /metrics answers loopback clients only. */
  METRICS_TOKEN: z.string().min(16).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;
export interface GatewayConfig extends GatewayEnv {
  broker: BrokerConfig;
}

export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  // An empty variable (HTTP_PORT= in a .env file) means "use the default".
  const parsed = gatewayEnvSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, value]) => value !== "")),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join(".")}: ${issue.message} (got ${JSON.stringify(env[issue.path.join(".")])})`,
    );
    throw new Error(`Bad gateway configuration:\n${lines.join("\n")}`);
  }
  if (!parsed.data.EMBEDDED_BROKER && (!parsed.data.MQTT_URL || !parsed.data.MQTT_SERVICE_PASSWORD)) {
    throw new Error("Bad gateway configuration:\n  EMBEDDED_BROKER=0 needs MQTT_URL and MQTT_SERVICE_PASSWORD");
  }
  if (parsed.data.TURN_URLS.length > 0 && !parsed.data.TURN_SECRET) {
    throw new Error(
      "Bad gateway configuration:\n  TURN_URLS needs TURN_SECRET (coturn's static-auth-secret, at least 16 characters)",
    );
  }
  const broker = readBrokerConfig(env);
  if (broker.cluster && parsed.data.RELAY_ENABLED && !parsed.data.VIEW_TOKEN_SECRET) {
    throw new Error(
      "Bad gateway configuration:\n  REDIS_URL with the relay needs VIEW_TOKEN_SECRET, the same on every gateway (viewer tokens and gateway-to-gateway requests are signed with it)",
    );
  }
  if (parsed.data.DEVICE_KEEPALIVE_S > broker.keepaliveMaxS) {
    throw new Error(
      `Bad gateway configuration:\n  DEVICE_KEEPALIVE_S (${parsed.data.DEVICE_KEEPALIVE_S}) must not exceed MQTT_KEEPALIVE_MAX_S (${broker.keepaliveMaxS}): the broker would refuse the cameras`,
    );
  }
  return { ...parsed.data, broker };
}
