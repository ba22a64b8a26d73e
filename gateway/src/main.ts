// `npm start`: broker + gateway, with demo data in an empty database.
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
try {
  const started = await gateway.start();
  printBanner(config, started);
} catch (error) {
  console.error((error as Error).message);
  await gateway.stop().catch(() => undefined);
  process.exit(1);
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await gateway.stop();
    process.exit(0);
  });
}
