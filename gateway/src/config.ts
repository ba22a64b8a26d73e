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

const optionalText = z.string().trim().min(1).optional();
const count = z.coerce.number().int().min(0);

/** SMS and voice notification calls (gateway/src/notify/): which provider, its keys, templates, limits. */
const messagingEnv = {
  /** Who sends SMS (sign-in codes, the elder's call, camera notices): none runs the product as before. */
  SMS_PROVIDER: z.enum(["none", "aliyun", "tencent"]).default("none"),
  /** Who places voice notification calls (the elder's call, unanswered): none leaves them out. */
  VOICE_PROVIDER: z.enum(["none", "aliyun", "tencent"]).default("none"),
  ALIYUN_ACCESS_KEY_ID: optionalText,
  ALIYUN_ACCESS_KEY_SECRET: optionalText,
  /** Number shown to the called phone (Dyvms CalledShowNumber); empty: the public number pool. */
  ALIYUN_VOICE_SHOW_NUMBER: optionalText,
  /** Tests and private endpoints: send both Alibaba Cloud APIs here instead (http(s)://host:port). */
  ALIYUN_API_URL: z.string().url().optional(),
  TENCENTCLOUD_SECRET_ID: optionalText,
  TENCENTCLOUD_SECRET_KEY: optionalText,
  TENCENTCLOUD_REGION: z.string().default("ap-guangzhou"),
  TENCENTCLOUD_SMS_SDK_APP_ID: optionalText,
  TENCENTCLOUD_VOICE_SDK_APP_ID: optionalText,
  /** Tests: connect to this address for Tencent Cloud's APIs (still addressed and signed for their hosts). */
  TENCENTCLOUD_API_URL: z.string().url().optional(),
  /** The approved SMS signature (签名), e.g. 望乡. */
  SMS_SIGN_NAME: optionalText,
  /** The provider's ids of the approved templates (README "SMS and voice calls" gives their texts). */
  SMS_TEMPLATE_SIGN_IN_CODE: optionalText,
  SMS_TEMPLATE_CALL_WAITING: optionalText,
  SMS_TEMPLATE_CAMERA_OFFLINE: optionalText,
  SMS_TEMPLATE_CAMERA_BACK: optionalText,
  SMS_TEMPLATE_WELLBEING_CHECK: optionalText,
  SMS_TEMPLATE_WELLBEING_VISIT: optionalText,
  VOICE_TEMPLATE_CALL: optionalText,
  /** An unanswered call from home is sent by SMS after this long (and by a voice call when its ring ends). */
  CALL_SMS_AFTER_S: seconds.default(15),
  /** The address people open from an SMS (the link to a call): https://wx.example.cn */
  PUBLIC_APP_URL: z.string().url().optional(),
  /** How often the SMS provider is asked for delivery receipts of the last day's messages; 0: never. */
  RECEIPT_PULL_INTERVAL_S: z.coerce.number().min(0).default(60),
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** Wait before the second try of an alert the provider did not take (the third waits three times longer). */
  PROVIDER_RETRY_DELAY_MS: z.coerce.number().int().min(0).default(1000),
  /** Sign-in codes: life, tries, and how many one number and one address may be sent. */
  SMS_CODE_TTL_S: z.coerce.number().int().min(60).max(1800).default(300),
  SMS_CODE_MAX_TRIES: z.coerce.number().int().min(1).max(10).default(5),
  SMS_CODE_INTERVAL_S: z.coerce.number().int().min(0).default(60),
  SMS_CODES_PER_NUMBER_HOUR: count.default(5),
  SMS_CODES_PER_NUMBER_DAY: count.default(10),
  SMS_CODES_PER_ADDRESS_HOUR: count.default(20),
  /** SMS and calls per household, and for the whole deployment, in any 24 hours. */
  MESSAGES_PER_HOUSEHOLD_DAY: count.default(30),
  MESSAGES_PER_DEPLOYMENT_DAY: count.default(20_000),
};

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
  FAMILY_SESSION_IDLE_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  HEARTBEAT_INTERVAL_S: seconds.default(30),
  DEVICE_KEEPALIVE_S: seconds.default(60),
  OFFLINE_ALERT_AFTER_S: seconds.default(300),
  /** A camera bound to a home that has not connected this long after binding: the installation failed. */
  NEVER_ONLINE_ALERT_AFTER_S: seconds.default(3600),
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
  /** A staff device-list page or the fleet summary is shared this long by all who ask (0: never); any change through the API drops it. */
  STAFF_PAGE_SHARE_MS: z.coerce.number().int().min(0).max(10_000).default(1000),
  /** A call rings this long before it counts as missed. */
  CALL_RING_S: seconds.default(45),
  /** An answered call nobody is watching this long after the answer ends (the caller's app closed, relay off). */
  CALL_UNWATCHED_END_S: seconds.default(60),
  /** A household is told its camera is offline once it has been offline this long (and again when it is back). */
  FAMILY_NOTICE_OFFLINE_S: seconds.default(1800),
  /** Wellbeing check-ins: how often the ingest leader looks for quiet days, and when the village contact is told. */
  WELLBEING_CHECK_INTERVAL_S: seconds.default(60),
  WELLBEING_ESCALATE_AFTER_MIN: z.coerce.number().int().min(5).max(720).default(30),
  /** Movement per minute is kept this long (the learning needs the last 14 days). */
  WELLBEING_RETENTION_DAYS: z.coerce.number().int().min(15).max(400).default(15),
  /** VAPID contact for push services (RFC 8292 "sub"): mailto: or https: of the operator. */
  /** A request must arrive whole (headers and body) within this; slow senders are cut off (408). */
  HTTP_REQUEST_TIMEOUT_S: seconds.default(30),
  /** Push services Web Push may reach (comma-separated hosts, "*.example.com" for subdomains); only at public addresses. */
  PUSH_SERVICE_HOSTS: commaList.transform((hosts) => (hosts.length ? hosts : defaultPushServiceHosts)),
  PUSH_CONTACT: z
    .string()
    .regex(/^(mailto:|https:)/, "PUSH_CONTACT must start with mailto: or https:")
    .default("mailto:ops@wangxiang.invalid"),
  ...messagingEnv,
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
  const messagingProblem = messagingConfigProblem(parsed.data);
  if (messagingProblem) throw new Error(`Bad gateway configuration:\n  ${messagingProblem}`);
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

/** A provider chosen without its keys is a mistake to say at start, not at the first elder's call. */
function messagingConfigProblem(env: GatewayEnv): string | null {
  const chosen = new Set([env.SMS_PROVIDER, env.VOICE_PROVIDER]);
  if (chosen.has("aliyun") && !(env.ALIYUN_ACCESS_KEY_ID && env.ALIYUN_ACCESS_KEY_SECRET))
    return "SMS_PROVIDER or VOICE_PROVIDER aliyun needs ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET";
  if (chosen.has("tencent") && !(env.TENCENTCLOUD_SECRET_ID && env.TENCENTCLOUD_SECRET_KEY))
    return "SMS_PROVIDER or VOICE_PROVIDER tencent needs TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY";
  if (env.SMS_PROVIDER !== "none" && !env.SMS_SIGN_NAME) return `SMS_PROVIDER ${env.SMS_PROVIDER} needs SMS_SIGN_NAME`;
  if (env.SMS_PROVIDER === "tencent" && !env.TENCENTCLOUD_SMS_SDK_APP_ID)
    return "SMS_PROVIDER tencent needs TENCENTCLOUD_SMS_SDK_APP_ID";
  if (env.VOICE_PROVIDER === "tencent" && !env.TENCENTCLOUD_VOICE_SDK_APP_ID)
    return "VOICE_PROVIDER tencent needs TENCENTCLOUD_VOICE_SDK_APP_ID";
  return null;
}
