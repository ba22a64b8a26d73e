// Cluster-mode test helpers: broker processes (broker/src/main.ts) on port 0 sharing one Redis (each test file
// starts its own: helpers/local-servers.ts), gateways with an external broker, and a TCP round-robin.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { createDatabase, type Database } from "../../core/database.ts";
import { buildGateway, type Gateway } from "../../gateway/src/app.ts";
import { readGatewayConfig } from "../../gateway/src/config.ts";
import type { DemoSeed } from "../../gateway/src/seed.ts";
import type { TestDatabase } from "./test-database.ts";

export const servicePassword = "cluster-test-service-password";

/** DATABASE_URL for another process: the SQLite file, or the PostgreSQL URL with the test schema. */
export function databaseUrlForProcesses(testDb: TestDatabase): string {
  if (!testDb.pgSchema) return testDb.url;
  const url = new URL(testDb.url);
  url.searchParams.set("schema", testDb.pgSchema);
  return url.toString();
}

export interface BrokerProcess {
  port: number;
  child: ChildProcess;
  url: string;
  /** Log lines seen so far (JSON). */
  lines: string[];
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export async function startBrokerProcess(env: Record<string, string>, port = 0): Promise<BrokerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "broker/src/main.ts"], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH,
      MQTT_PORT: String(port),
      MQTT_HOST: "127.0.0.1",
      MQTT_SERVICE_PASSWORD: servicePassword,
      LOG_LEVEL: "info",
      MQTT_CONNECT_RATE: "5000",
      MQTT_CONNECT_BURST: "5000",
      MQTT_CONNECT_RATE_PER_ADDRESS: "5000",
      MQTT_CONNECT_BURST_PER_ADDRESS: "5000",
      MQTT_AUTH_FAILURES_PER_MINUTE: "100000",
      MQTT_CLUSTER_HEARTBEAT_MS: "1000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let stopping = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => {
      // An unexpected exit is a finding: show why.
      if (!stopping && signal !== "SIGKILL")
        console.error(
          `broker process ${child.pid} exited (${code ?? signal}):\n${stderr.slice(-4000)}\n${lines.slice(-5).join("\n")}`,
        );
      resolve(code);
    }),
  );
  const listening = firstLogLine(child, lines, exited, (line) => {
    try {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      return entry.msg === "MQTT broker listening" && entry.port ? entry.port : undefined;
    } catch {
      return undefined; // not JSON
    }
  }).catch((error: Error) => {
    throw new Error(`broker process ${error.message} before listening: ${stderr.slice(0, 2000)}`);
  });
  const boundPort = await listening;
  return {
    port: boundPort,
    child,
    lines,
    exited,
    url: `mqtt://127.0.0.1:${boundPort}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A gateway against external brokers (EMBEDDED_BROKER=0), in this process, on the shared database. */
export async function startClusterGateway(
  db: Database,
  databaseUrl: string,
  env: Record<string, string>,
): Promise<{ gateway: Gateway; httpUrl: string; seed: DemoSeed | null }> {
  const config = readGatewayConfig({
    HTTP_PORT: "0",
    HTTP_HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "silent",
    EMBEDDED_BROKER: "0",
    MQTT_SERVICE_PASSWORD: servicePassword,
    RELAY_ENABLED: "0",
    WX_DEMO_PASSWORD: "test-password-123",
    HEARTBEAT_FLUSH_MS: "20",
    INGEST_LEADER_TTL_MS: "1500",
    SNAPSHOT_INTERVAL_MIN: "0",
    ...env,
  });
  const gateway = buildGateway(config, { database: db });
  const started = await gateway.start();
  return { gateway, httpUrl: `http://127.0.0.1:${started.httpPort}`, seed: started.seed };
}

export function openDatabase(testDb: TestDatabase): Database {
  return createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
}

/**
 * The load balancer in front of the brokers, as a deployment has (HAProxy, nginx stream, a cloud TCP LB):
 * each new connection goes to the next backend; a backend that refuses is skipped, so cameras whose broker
 * died reach a live one on their next attempt. Cameras only ever know this one address.
 */
export async function startTcpBalancer(
  backends: () => number[],
): Promise<{ port: number; url: string; close(): Promise<void> }> {
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    client.pause();
    const ports = backends();
    const tryBackend = (tries: number) => {
      if (tries >= ports.length) return client.destroy();
      const port = ports[next++ % ports.length]!;
      const upstream = connect({ host: "127.0.0.1", port });
      let established = false;
      upstream.once("connect", () => {
        established = true;
        sockets.add(upstream);
        upstream.once("close", () => {
          sockets.delete(upstream);
          client.destroy();
        });
        client.once("close", () => upstream.destroy());
        client.on("error", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on("error", () => (established ? client.destroy() : tryBackend(tries + 1)));
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface GatewayProcess {
  child: ChildProcess;
  httpUrl: string;
  /** Log lines seen so far (JSON). */
  lines: string[];
  exited: Promise<number | null>;
  /** SIGKILL: the gateway dies with nothing released (its Redis records lapse on their own). */
  kill(): Promise<void>;
}

/** A gateway in its own process (gateway/src/main.ts), so that a test can kill it outright. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "gateway/src/main.ts"], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH,
      HTTP_PORT: "0",
      HTTP_HOST: "127.0.0.1",
      EMBEDDED_BROKER: "0",
      MQTT_SERVICE_PASSWORD: servicePassword,
      SEED_DEMO_DATA: "0",
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = firstLogLine(
    child,
    lines,
    exited,
    (line) => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1],
  ).catch((error: Error) => {
    throw new Error(`gateway process ${error.message} before listening: ${stderr.slice(-3000)}`);
  });
  const httpUrl = await listening;
  return {
    child,
    httpUrl,
    lines,
    exited,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * Collects a child's stdout lines (the first 10,000) into `lines`, and resolves with what `match` finds in the
 * first line it recognises; rejects if the process exits first.
 */
function firstLogLine<T>(
  child: ChildProcess,
  lines: string[],
  exited: Promise<number | null>,
  match: (line: string) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (lines.length < 10_000) lines.push(line);
        const found = match(line);
        if (found !== undefined) resolve(found);
      }
    });
    void exited.then((code) => reject(new Error(`exited (${code})`)));
  });
}
