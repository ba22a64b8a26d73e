// `npm start`: broker + gateway, with demo data in an empty database.
import { exitGracefullyOnSignals } from "../../core/signals.ts";
import { buildGateway } from "./app.ts";
import { readGatewayConfig } from "./config.ts";
import { printBanner } from "./banner.ts";

let config;
try {
  config = readGatewayConfig();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const gateway = buildGateway(config);
// Registered before start: a signal during start-up stops what has started so far.
exitGracefullyOnSignals({ stop: () => gateway.stop(), deadlineMs: 9_500, log: gateway.app.log });
try {
  const started = await gateway.start();
  printBanner(config, started);
} catch (error) {
  console.error((error as Error).message);
  await gateway.stop().catch((stopError: Error) => console.error(`stop after a failed start: ${stopError.message}`));
  process.exit(1);
}
