// `npm start`: broker + gateway, with demo data in an empty database.
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
