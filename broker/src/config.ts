// Broker configuration: read once from the environment, with defaults that let `npm start` run on a fresh machine.
import { z } from "zod";
import { parseCredentialKey } from "../../core/device-credentials.ts";

// An empty variable (MQTT_PORT= in a .env file) means "use the default", not 0.
const unsetWhenEmpty = (value: unknown) => (value === "" ? undefined : value);
function integer(min: number, max: number, defaultValue: number) {
  const error = `expected an integer from ${min} to ${max}`;
  return z.preprocess(
    unsetWhenEmpty,
    z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(defaultValue),
  );
}

export const brokerEnvSchema = z.object({
  MQTT_PORT: integer(0, 65535, 1883),
  MQTT_HOST: z.preprocess(unsetWhenEmpty, z.string().min(1).default("0.0.0.0")),
  MQTT_MAX_PACKET_BYTES: integer(64, 256 * 1024 * 1024, 64 * 1024),
  // aedes clamps to 1..100 because its topic matcher throws past 100 levels.
  MQTT_MAX_TOPIC_LEVELS: integer(1, 100, 8),
  // A CONNECT costs well under a millisecond now (map lookup + HMAC): the global cap is there for floods.
  MQTT_CONNECT_RATE: integer(1, 1_000_000, 1000),
  MQTT_CONNECT_BURST: integer(1, 1_000_000, 2000),
  // Per remote address, under the global cap. A village behind one carrier-grade NAT address shares it.
  MQTT_CONNECT_RATE_PER_ADDRESS: integer(1, 1_000_000, 100),
  MQTT_CONNECT_BURST_PER_ADDRESS: integer(1, 1_000_000, 200),
  MQTT_AUTH_FAILURES_PER_MINUTE: integer(1, 1_000_000, 30),
  // MQTT 3.1.1 keepalive is a 16-bit number of seconds.
  MQTT_KEEPALIVE_MAX_S: integer(1, 65535, 300),
  // How many messages aedes delivers in parallel (its own default, 100, is too low for thousands of cameras).
  MQTT_DELIVERY_CONCURRENCY: integer(1, 1_000_000, 1000),
  // A connection that has not completed its CONNECT by then is closed (aedes' own default is 30 s).
  MQTT_CONNECT_TIMEOUT_S: integer(1, 300, 10),
  // TLS (MQTT over TLS on MQTTS_PORT) when both files are given; the gateway's HTTPS uses the same pair.
  TLS_CERT_FILE: z.preprocess(unsetWhenEmpty, z.string().min(1).optional()),
  TLS_KEY_FILE: z.preprocess(unsetWhenEmpty, z.string().min(1).optional()),
  MQTTS_PORT: integer(0, 65535, 8883),
  // Cluster mode: brokers sharing this Redis share subscriptions, sessions, retained messages and wills.
  REDIS_URL: z.preprocess(
    unsetWhenEmpty,
    z
      .string()
      .regex(/^rediss?:\/\//, { error: "expected redis://host:port/db" })
      .optional(),
  ),
  // aedes' broker heartbeat: a broker silent for 3 of these is dead, and the others publish its clients' wills.
  MQTT_CLUSTER_HEARTBEAT_MS: integer(100, 600_000, 5_000),
  // The credential index is reloaded from the database this often, in case a broker missed a revocation
  // while cut off from Redis (revocations normally reach every broker at once).
  MQTT_CREDENTIAL_RELOAD_S: integer(10, 86_400, 300),
  // HMAC key for device credentials; default: generated once and kept in the database (ServerKey).
  DEVICE_CREDENTIAL_KEY: z.preprocess(unsetWhenEmpty, z.string().optional()),
});

/** Variables whose value must never appear in an error message (it ends up in logs). */
const secretVariables = new Set(["DEVICE_CREDENTIAL_KEY", "MQTT_SERVICE_PASSWORD"]);

export interface BrokerConfig {
  port: number;
  host?: string;
  maxPacketBytes: number;
  maxTopicLevels: number;
  connectRatePerSecond: number;
  connectBurst: number;
  /** New connections per second from one address (more may still finish a CONNECT with a proven credential). */
  connectRatePerAddress?: number;
  connectBurstPerAddress?: number;
  authFailuresPerMinutePerIp: number;
  keepaliveMaxS: number;
  /** Messages aedes delivers in parallel. */
  deliveryConcurrency?: number;
  /** How long a new connection may take to send a complete CONNECT. */
  connectTimeoutS?: number;
  /** MQTT over TLS beside plain MQTT: PEM file paths and the port. */
  tls?: { port: number; certFile: string; keyFile: string };
  /** Cluster mode through Redis (see cluster.ts). */
  cluster?: { redisUrl: string; heartbeatMs: number };
  /** Seconds between full reloads of the credential index. */
  credentialReloadS?: number;
  /** DEVICE_CREDENTIAL_KEY; without it the key is generated once and kept in the database. */
  credentialKey?: Buffer;
}

export function readBrokerConfig(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const parsed = brokerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join(".");
      return `  ${name}: ${issue.message}${secretVariables.has(name) ? "" : ` (got ${JSON.stringify(env[name])})`}`;
    });
    throw new Error(`Bad broker configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if (Boolean(e.TLS_CERT_FILE) !== Boolean(e.TLS_KEY_FILE)) {
    throw new Error("Bad broker configuration:\n  TLS_CERT_FILE and TLS_KEY_FILE must be given together");
  }
  const credentialKey = e.DEVICE_CREDENTIAL_KEY === undefined ? undefined : parseCredentialKey(e.DEVICE_CREDENTIAL_KEY);
  if (credentialKey === null) {
    throw new Error(
      "Bad broker configuration:\n  DEVICE_CREDENTIAL_KEY: expected at least 32 random bytes as base64 or hex (openssl rand -base64 32)",
    );
  }
  return {
    ...(e.TLS_CERT_FILE && e.TLS_KEY_FILE
      ? { tls: { port: e.MQTTS_PORT, certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } }
      : {}),
    ...(e.REDIS_URL ? { cluster: { redisUrl: e.REDIS_URL, heartbeatMs: e.MQTT_CLUSTER_HEARTBEAT_MS } } : {}),
    port: e.MQTT_PORT,
    host: e.MQTT_HOST,
    maxPacketBytes: e.MQTT_MAX_PACKET_BYTES,
    maxTopicLevels: e.MQTT_MAX_TOPIC_LEVELS,
    connectRatePerSecond: e.MQTT_CONNECT_RATE,
    connectBurst: e.MQTT_CONNECT_BURST,
    connectRatePerAddress: e.MQTT_CONNECT_RATE_PER_ADDRESS,
    connectBurstPerAddress: e.MQTT_CONNECT_BURST_PER_ADDRESS,
    credentialReloadS: e.MQTT_CREDENTIAL_RELOAD_S,
    ...(credentialKey ? { credentialKey } : {}),
    authFailuresPerMinutePerIp: e.MQTT_AUTH_FAILURES_PER_MINUTE,
    keepaliveMaxS: e.MQTT_KEEPALIVE_MAX_S,
    deliveryConcurrency: e.MQTT_DELIVERY_CONCURRENCY,
    connectTimeoutS: e.MQTT_CONNECT_TIMEOUT_S,
  };
}

/** The standalone broker process (broker/src/main.ts): the broker's settings plus what it needs around them. */
export const brokerProcessEnvSchema = z.object({
  DATABASE_URL: z.preprocess(unsetWhenEmpty, z.string().min(1).default("file:./data/wangxiang.db")),
  MQTT_SERVICE_USER: z.preprocess(unsetWhenEmpty, z.string().min(1).default("wangxiang-gateway")),
  // The gateways log in with it; give every broker and gateway of a deployment the same one.
  MQTT_SERVICE_PASSWORD: z
    .string({ error: "required: the password the gateways use (at least 12 characters)" })
    .min(12, { error: "at least 12 characters" }),
  LOG_LEVEL: z.preprocess(
    unsetWhenEmpty,
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),
});

export interface BrokerProcessConfig {
  broker: BrokerConfig;
  databaseUrl: string;
  serviceUser: string;
  servicePassword: string;
  logLevel: z.infer<typeof brokerProcessEnvSchema>["LOG_LEVEL"];
}

export function readBrokerProcessConfig(env: NodeJS.ProcessEnv = process.env): BrokerProcessConfig {
  const broker = readBrokerConfig(env);
  const parsed = brokerProcessEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join(".");
      return `  ${name}: ${issue.message}${name === "MQTT_SERVICE_PASSWORD" ? "" : ` (got ${JSON.stringify(env[name])})`}`;
    });
    throw new Error(`Bad broker configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    broker,
    databaseUrl: e.DATABASE_URL,
    serviceUser: e.MQTT_SERVICE_USER,
    servicePassword: e.MQTT_SERVICE_PASSWORD,
    logLevel: e.LOG_LEVEL,
  };
}
