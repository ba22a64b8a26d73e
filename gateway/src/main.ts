// `npm start`: broker + gateway, with demo data in an empty database.
import { handleShutdownSignals } from "../../core/shutdown.ts";
import { buildGateway } from "./app.ts";
import { readGatewayConfig } from "./config.ts";
import { printBanner } from "./banner.ts";
import { readLogFormat, terminalLogDestination } from "../../core/log-output.ts";

let config;
let logStream;
try {
  config = readGatewayConfig();
  logStream = terminalLogDestination(readLogFormat());
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const gateway = buildGateway(config, { logStream });
// Registered before start: a signal during start-up stops what has started so far.
handleShutdownSignals({ stop: () => gateway.stop(), deadlineMs: 9_500, log: gateway.app.log });
try {
  const started = await gateway.start();
  printBanner(config, started);
} catch (error) {
  console.error((error as Error).message);
  await gateway.stop().catch((stopError: Error) => console.error(`stop after a failed start: ${stopError.message}`));
  process.exit(1);
}
