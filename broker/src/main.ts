// `npm run broker`: one standalone broker process. With REDIS_URL, several of them form a cluster (see
// broker/README.md, "Cluster mode"); gateways then run with EMBEDDED_BROKER=0. Logs are JSON lines on
// stdout; the "MQTT broker listening" line carries the port (MQTT_PORT=0 picks a free one).
import { createDatabase } from "../../core/database.ts";
import { DeviceCredentialHasher, loadDeviceCredentialKey } from "../../core/device-credentials.ts";
import { hashSecret } from "../../core/secrets.ts";
import { createBroker, type BrokerLogger } from "./broker.ts";
import { databaseCredentialStore } from "./credential-store.ts";
import { readBrokerProcessConfig } from "./config.ts";
import { handleShutdownSignals } from "../../core/shutdown.ts";
import { readLogFormat, terminalLogDestination, type LogDestination } from "../../core/log-output.ts";

const levels = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;

function jsonLogger(
  level: keyof typeof levels,
  out: LogDestination,
): BrokerLogger & { error(o: object, msg?: string): void } {
  const write = (at: number) => (o: object, msg?: string) => {
    if (at < levels[level]) return;
    out.write(`${JSON.stringify({ level: at, time: Date.now(), pid: process.pid, ...o, msg })}\n`);
  };
  return { info: write(30), warn: write(40), error: write(50) };
}

let config;
let logOut: LogDestination;
try {
  config = readBrokerProcessConfig();
  logOut = terminalLogDestination(readLogFormat()) ?? process.stdout;
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const log = jsonLogger(config.logLevel, logOut);
const db = createDatabase(config.databaseUrl);
const broker = createBroker({
  config: config.broker,
  credentials: databaseCredentialStore(db),
  credentialHasher: new DeviceCredentialHasher(await loadDeviceCredentialKey(db, config.broker.credentialKey)),
  service: {
    username: config.serviceUser,
    passwordHash: await hashSecret(config.servicePassword, "device-credential"),
  },
  logger: log,
});

try {
  await broker.start();
} catch (error) {
  console.error((error as Error).message);
  await db.$disconnect().catch(() => undefined);
  process.exit(1);
}

handleShutdownSignals({
  // Cameras see their connection close and reconnect to another broker (cluster) or to this one when it is back.
  stop: async () => {
    try {
      await broker.stop();
    } finally {
      await db.$disconnect();
    }
  },
  deadlineMs: 9_500,
  log,
});
