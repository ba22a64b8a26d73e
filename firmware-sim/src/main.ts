// npm run sim -- --cameras N [--gateway URL] [--state-dir DIR] [--heartbeat S] [--installer-user U --installer-password P]
//
// SIGTERM/SIGINT: every camera stops its stream, publishes a retained offline "shutdown" and disconnects (so the
// broker fires no will and the fleet view shows a clean shutdown, not lost cameras), then the process exits 0.
import { handleShutdownSignals } from "../../core/shutdown.ts";
import { loadSimConfig, SimConfigError, simUsage, type SimConfig } from "./config.ts";
import { buttonHelp, readButtonsFromStdin } from "./console-buttons.ts";
import { createLogger } from "../../device-client/src/log.ts";
import { createSimulator } from "./simulator.ts";
import { readLogFormat, terminalLogDestination } from "../../core/log-output.ts";

function readConfig(): SimConfig {
  let config: SimConfig | null;
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
  return config;
}

function readLogStream() {
  try {
    return terminalLogDestination(readLogFormat());
  } catch (error) {
    process.stderr.write((error as Error).message + "\n");
    process.exit(2);
  }
}

async function main() {
  const config = readConfig();
  const log = createLogger({ name: "firmware-sim", level: config.logLevel, stream: readLogStream() });
  const simulator = createSimulator(config, { log });
  const shutdown = handleShutdownSignals({ stop: () => simulator.stop(), log });
  try {
    await simulator.start();
    log.info({ cameras: config.cameras, gateway: config.gatewayUrl, stateDir: config.stateDir }, "simulator running");
    if (process.stdin.isTTY) log.info(buttonHelp);
    readButtonsFromStdin(() => simulator.cameras(), log);
  } catch (error) {
    if (shutdown.stopping) return; // a signal during start-up aborted it; the shutdown exits
    log.fatal({ err: (error as Error).message }, "simulator could not start");
    await simulator.stop();
    process.exit(1);
  }
}

await main();
