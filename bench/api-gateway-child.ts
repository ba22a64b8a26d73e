// The gateway under test in the API bench, alone in its own process (as it runs in production), so the load
// generator does not share its event loop. Configured by its environment like `npm start`; the bench talks to
// it over IPC: it says "ready" with its port, CPU-profiles a phase, counts queries, and stops.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { buildGateway } from "../gateway/src/app.ts";
import { readGatewayConfig } from "../gateway/src/config.ts";
import { createDatabase } from "../core/database.ts";
import { PhaseProfiler } from "./profile.ts";
import { countingQueries } from "./query-count.ts";

export type ToGatewayChild =
  | { type: "profile-start" }
  | { type: "profile-stop"; file: string }
  | { type: "queries" }
  | { type: "loop" }
  | { type: "stop" };
export type FromGatewayChild =
  | { type: "ready"; httpPort: number }
  | { type: "profile-started" }
  | { type: "profile"; summary: unknown }
  | { type: "queries"; counts: Record<string, number> }
  | { type: "loop"; p99Ms: number; maxMs: number; cpuMs: number }
  | { type: "cpu"; userMs: number; systemMs: number };

const send = (message: FromGatewayChild) => process.send?.(message);

async function main(): Promise<void> {
  const config = readGatewayConfig(process.env);
  const plain = createDatabase(config.DATABASE_URL);
  const queries = process.env.BENCH_COUNT_QUERIES === "1" ? countingQueries(plain) : null;
  const gateway = buildGateway(config, { database: queries?.db ?? plain });
  const { httpPort } = await gateway.start();
  const profiler = new PhaseProfiler();
  // How long the event loop was held: a request waits at least that long behind whatever held it.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  process.on("message", (message: ToGatewayChild) => {
    void handle(message).catch((err) => {
      console.error(err);
      process.exit(1);
    });
  });
  async function handle(message: ToGatewayChild): Promise<void> {
    if (message.type === "profile-start") {
      await profiler.start();
      send({ type: "profile-started" });
    } else if (message.type === "profile-stop") send({ type: "profile", summary: await profiler.stop(message.file) });
    else if (message.type === "queries") send({ type: "queries", counts: queries?.take() ?? {} });
    else if (message.type === "loop") {
      const cpu = process.cpuUsage();
      const cpuMs = (cpu.user + cpu.system) / 1000;
      send({ type: "loop", p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6, cpuMs });
      loop.reset();
    } else if (message.type === "stop") {
      const cpu = process.cpuUsage();
      send({ type: "cpu", userMs: cpu.user / 1000, systemMs: cpu.system / 1000 });
      await gateway.stop();
      await plain.$disconnect();
      process.exit(0);
    }
  }
  send({ type: "ready", httpPort });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
