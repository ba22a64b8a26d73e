// `npm run bench:cluster -- [--cameras 10000] [--rate 10000] [--duration 15] [--time-limit 600]`: two broker processes
// (broker/src/main.ts) sharing Redis, N simulated cameras spread over them (alternating), on loopback.
// Reports connect rate, heartbeat throughput across brokers (published on either broker, counted by a
// service subscriber on broker 2: every message crosses Redis pub/sub) and broker memory per connection,
// next to the single-broker and Mosquitto figures of the latest bench/results/broker-*.json, if any.
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { createDatabase } from "../core/database.ts";
import { hashSecret, randomId, randomToken } from "../core/secrets.ts";
import { DeviceCredentialHasher, loadDeviceCredentialKey } from "../core/device-credentials.ts";
import { servicePassword, startBrokerProcess, type BrokerProcess } from "../test/helpers/cluster.ts";
import { startRedisServer } from "../test/helpers/local-servers.ts";

const { values } = parseArgs({
  options: {
    cameras: { type: "string" },
    rate: { type: "string" },
    duration: { type: "string" },
    "time-limit": { type: "string" },
  },
});
const CAMERAS = Number(values.cameras ?? 10_000);
const RATE = Number(values.rate ?? 10_000);
const DURATION_S = Number(values.duration ?? 15);
const TIME_LIMIT_S = Number(values["time-limit"] ?? 600);
const limit = setTimeout(() => {
  console.error(`time limit of ${TIME_LIMIT_S} s reached`);
  process.exit(2);
}, TIME_LIMIT_S * 1000);
limit.unref();

/** The parts of a broker-bench result file (bench/broker-bench.ts) the table reads; older files may lack some. */
interface BrokerBenchFigures {
  connect?: { connectsPerS?: number };
  heartbeats?: { deliveredPerSInWindow?: number; storedPerSInWindow?: number };
  memory?: { perConnectionKiB?: number | { rss?: number } };
}
type BrokerBenchFile = {
  options?: { cameras?: number; rate?: number };
  aedes?: BrokerBenchFigures;
  mosquitto?: BrokerBenchFigures;
};

const phase = (what: string) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${what}`);
const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
const workDir = join(process.cwd(), "data", "bench-cluster", randomId("run_", 6));
mkdirSync(workDir, { recursive: true });
const dbFile = join(workDir, "bench.db");
const children: ChildProcess[] = [];
let brokers: BrokerProcess[] = [];
const redis = await startRedisServer();

async function cleanup() {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(brokers.map((b) => b.stop()));
  await redis.stop();
  rmSync(workDir, { recursive: true, force: true });
}

try {
  console.log(
    `cluster bench: ${CAMERAS} cameras, 2 brokers + Redis (${redis.url}), heartbeats ${RATE}/s for ${DURATION_S} s`,
  );
  execFileSync("node_modules/.bin/prisma", ["migrate", "deploy", "--config", "prisma/sqlite.config.ts"], {
    env: { ...process.env, DATABASE_URL: `file:${dbFile}` },
    stdio: "pipe",
  });
  phase("database migrated");
  const db = createDatabase(`file:${dbFile}`);
  // One password for every camera: the brokers still check each camera's credential (HMAC under the key the database keeps).
  const password = randomToken(24);
  const credentialHash = new DeviceCredentialHasher(await loadDeviceCredentialKey(db, undefined)).hash(password);
  const claimCodeHash = await hashSecret("UNUSEDCODE", "password");
  const cameras = Array.from({ length: CAMERAS }, () => ({ deviceId: randomId("cam_"), password }));
  for (let i = 0; i < CAMERAS; i += 1000) {
    await db.device.createMany({
      data: cameras.slice(i, i + 1000).map((c, k) => ({
        id: c.deviceId,
        serial: `WX-B${String(Math.floor((i + k) / 1e6)).padStart(3, "0")}-${String((i + k) % 1e6).padStart(6, "0")}`,
        claimCodeHash,
        claimState: "claimed",
        credentialHash,
        claimedAt: new Date(),
      })),
    });
  }
  await db.$disconnect();
  phase("cameras provisioned");

  const env = {
    REDIS_URL: redis.url,
    DATABASE_URL: `file:${dbFile}`,
    LOG_LEVEL: "info",
    MQTT_CONNECT_RATE: "1000000",
    MQTT_CONNECT_BURST: "1000000",
    MQTT_CONNECT_RATE_PER_ADDRESS: "1000000",
    MQTT_CONNECT_BURST_PER_ADDRESS: "1000000",
    MQTT_KEEPALIVE_MAX_S: "300",
  };
  brokers = await Promise.all([startBrokerProcess(env), startBrokerProcess(env)]);
  phase(`brokers listening on ${brokers.map((b) => b.port).join(", ")}`);
  await new Promise((r) => setTimeout(r, 1000));
  const rssBefore = brokers.map((b) => rssKiB(b.child.pid!));

  const subscriber = await mqtt.connectAsync(brokers[1]!.url, {
    clientId: "bench-subscriber",
    username: "wangxiang-gateway",
    password: servicePassword,
    protocolVersion: 4,
    clean: true,
  });
  let received = 0;
  subscriber.on("message", () => {
    received++;
  });
  await subscriber.subscribeAsync("devices/+/telemetry", { qos: 0 });

  const workers = Math.max(1, Math.ceil(CAMERAS / 5000));
  const perWorker = Math.ceil(CAMERAS / workers);
  const ask = <T>(child: ChildProcess, message: object, answer: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { type: string }) => {
        if (m.type === answer) {
          child.off("message", on);
          resolve(m as T);
        }
      };
      child.on("message", on);
      child.send(message);
    });
  for (let w = 0; w < workers; w++) {
    const child = fork(join(process.cwd(), "bench/cluster-load.ts"), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children.push(child);
    await new Promise<void>((resolve) => child.once("message", () => resolve()));
  }
  phase(`${workers} load worker(s) ready; connecting`);
  const connectStart = performance.now();
  const connected = await Promise.all(
    children.map((child, w) =>
      ask<{ connected: number; failed: number }>(
        child,
        {
          type: "connect",
          cameras: cameras.slice(w * perWorker, (w + 1) * perWorker),
          brokerUrls: brokers.map((b) => b.url),
          inFlight: 200,
        },
        "connected",
      ),
    ),
  );
  const connectSeconds = (performance.now() - connectStart) / 1000;
  const connectedCount = connected.reduce((n, c) => n + c.connected, 0);
  await new Promise((r) => setTimeout(r, 2000));
  const rssAfter = brokers.map((b) => rssKiB(b.child.pid!));

  phase(`${connectedCount} connected; heartbeats`);
  const receivedBefore = received;
  const beatStart = performance.now();
  const beaten = await Promise.all(
    children.map((child) =>
      ask<{ sent: number }>(child, { type: "beat", ratePerS: RATE / workers, durationS: DURATION_S }, "beaten"),
    ),
  );
  await new Promise((r) => setTimeout(r, 2000)); // let the last ones cross
  const beatSeconds = (performance.now() - beatStart) / 1000 - 2;
  const sent = beaten.reduce((n, b) => n + b.sent, 0);
  const got = received - receivedBefore;
  await subscriber.endAsync(true);

  const cluster = {
    cameras: CAMERAS,
    connected: connectedCount,
    failed: CAMERAS - connectedCount,
    connectsPerS: Math.round(connectedCount / connectSeconds),
    connectSeconds: Number(connectSeconds.toFixed(1)),
    heartbeats: {
      offeredPerS: RATE,
      sent,
      receivedAcrossBrokers: got,
      deliveredPerS: Math.round(got / beatSeconds),
      lost: sent - got,
    },
    memory: {
      brokerRssKiB: rssAfter,
      perConnectionKiB: Number(
        ((rssAfter[0]! - rssBefore[0]! + rssAfter[1]! - rssBefore[1]!) / Math.max(1, connectedCount)).toFixed(1),
      ),
    },
  };
  console.log("\ncluster (2 brokers + Redis):", JSON.stringify(cluster, null, 2));

  // Single broker and Mosquitto, from the broker bench (bench/broker-bench.ts), when it has run here.
  const previous = readdirSync(join(process.cwd(), "bench/results"))
    .filter((f) => /^broker-.*\.json$/.test(f))
    .sort()
    .at(-1);
  const rows: [string, unknown, unknown, unknown][] = [
    [
      "cluster: 2 aedes + Redis",
      cluster.connectsPerS,
      cluster.heartbeats.deliveredPerS,
      cluster.memory.perConnectionKiB,
    ],
  ];
  if (previous) {
    const single = JSON.parse(readFileSync(join(process.cwd(), "bench/results", previous), "utf8")) as BrokerBenchFile;
    for (const key of ["aedes", "mosquitto"] as const) {
      const r = single[key];
      if (!r) continue;
      // aedes there is embedded in a gateway that also stores each heartbeat; Mosquitto's are counted at a subscriber.
      const heartbeatRate = r.heartbeats?.deliveredPerSInWindow ?? r.heartbeats?.storedPerSInWindow ?? "—";
      const perConnection = r.memory?.perConnectionKiB;
      const memory = (typeof perConnection === "object" ? (perConnection.rss ?? perConnection) : perConnection) ?? "—";
      rows.push([
        `${key} alone (${previous}, ${single.options?.cameras ?? "?"} cameras, ${single.options?.rate ?? "?"}/s offered)`,
        r.connect?.connectsPerS ?? "—",
        heartbeatRate,
        memory,
      ]);
    }
  } else {
    rows.push(["single broker / Mosquitto", "run npm run bench:broker", "", ""]);
  }
  console.log("\n| setup | connects/s | heartbeats/s delivered | broker KiB per connection |\n|---|---|---|---|");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  mkdirSync(join(process.cwd(), "bench/results"), { recursive: true });
  const out = join(
    process.cwd(),
    "bench/results",
    `cluster-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}.json`,
  );
  writeFileSync(
    out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        options: { cameras: CAMERAS, rate: RATE, durationS: DURATION_S },
        cluster,
        comparedWith: previous ?? null,
      },
      null,
      2,
    ),
  );
  console.log(`\nwritten to ${out}`);
} finally {
  await cleanup();
}
process.exit(0);
