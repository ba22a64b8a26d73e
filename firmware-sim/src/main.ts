// npm run sim -- --cameras N [--gateway URL] [--state-dir DIR] [--heartbeat S] [--installer-user U --installer-password P]
import { loadSimConfig, SimConfigError, simUsage } from "./config.ts";
import { createLogger } from "./log.ts";
import { createSimulator } from "./simulator.ts";
import { readLogFormat, terminalLogDestination } from "../../core/log-output.ts";

let config;
let logStream;
try {
  config = loadSimConfig(process.argv.slice(2), process.env);
  logStream = terminalLogDestination(readLogFormat());
} catch (error) {
  if (!(error instanceof SimConfigError) && !/^LOG_FORMAT/.test((error as Error).message)) throw error;
  process.stderr.write((error as Error).message + "\n");
  process.exit(2);
}
if (!config) {
  process.stdout.write(simUsage + "\n");
  process.exit(0);
}

const log = createLogger({ level: config.logLevel, stream: logStream });
const simulator = createSimulator(config, { log });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) {
    log.warn({ signal }, "second signal, exiting now");
    process.exit(1);
  }
  stopping = true;
  log.info({ signal }, "shutting down: cameras announce offline and disconnect");
  await simulator.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

try {
  await simulator.start();
  log.info({ cameras: config.cameras, gateway: config.gatewayUrl, stateDir: config.stateDir }, "simulator running");
} catch (error) {
  if (stopping) process.exit(0);
  log.fatal({ err: (error as Error).message }, "simulator could not start");
  await simulator.stop();
  process.exit(1);
}
