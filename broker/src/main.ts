// `npm run broker`: one standalone broker process. With REDIS_URL, several of them form a cluster (see
// broker/README.md, "Cluster mode"); gateways then run with EMBEDDED_BROKER=0. Logs are JSON lines on
// stdout; the "MQTT broker listening" line carries the port (MQTT_PORT=0 picks a free one).
import { createDatabase } from "../../core/database.ts";
import { hashSecret } from "../../core/secrets.ts";
import { createBroker, type BrokerLogger } from "./broker.ts";
import { readBrokerProcessConfig } from "./config.ts";
import { exitGracefullyOnSignals } from "../../core/signals.ts";

const levels = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;

function jsonLogger(level: keyof typeof levels): BrokerLogger & { error(o: object, msg?: string): void } {
  const write = (at: number) => (o: object, msg?: string) => {
    if (at < levels[level]) return;
    process.stdout.write(`${JSON.stringify({ level: at, time: Date.now(), pid: process.pid, ...o, msg })}\n`);
  };
  return { info: write(30), warn: write(40), error: write(50) };
}

let config;
try {
  config = readBrokerProcessConfig();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const log = jsonLogger(config.logLevel);
const db = createDatabase(config.databaseUrl);
const broker = createBroker({
  config: config.broker,
  credentials: {
    findDeviceCredential: (deviceId) => db.device.findUnique({ where: { id: deviceId }, select: { credentialHash: true, claimState: true } }) as ReturnType<
      import("./broker.ts").DeviceCredentialLookup["findDeviceCredential"]>,
  },
  service: { username: config.serviceUser, passwordHash: await hashSecret(config.servicePassword, "device-credential") },
  logger: log,
});

try {
  await broker.start();
} catch (error) {
  console.error((error as Error).message);
  await db.$disconnect().catch(() => undefined);
  process.exit(1);
}

exitGracefullyOnSignals({
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
