// npm run sim -- --cameras N [--gateway URL] [--state-dir DIR] [--heartbeat S] [--installer-user U --installer-password P]
import { loadSimConfig, SimConfigError, simUsage } from "./config.ts";
import { createLogger } from "./log.ts";
import { buttonHelp, readButtonsFromStdin } from "./console-buttons.ts";
import { createSimulator } from "./simulator.ts";

let config;
try {
  config = loadSimConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof SimConfigError)) throw error;
  process.stderr.write(error.message + "\n");
  process.exit(2);
}
if (!config) {
  process.stdout.write(simUsage + "\n");
  process.exit(0);
}

const log = createLogger({ level: config.logLevel });
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
  if (process.stdin.isTTY) log.info(buttonHelp);
  readButtonsFromStdin(() => simulator.cameras(), log);
} catch (error) {
  if (stopping) process.exit(0);
  log.fatal({ err: (error as Error).message }, "simulator could not start");
  await simulator.stop();
  process.exit(1);
}
