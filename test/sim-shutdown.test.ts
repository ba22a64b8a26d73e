// `npm run sim` as an operator stops it: a real simulator process (node + tsx) against a real aedes broker and
// the gateway test double, its cameras' MQTT going through a TCP proxy that can freeze the uplink.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deviceStatusMessage } from "../protocol/index.ts";
import {
  observe,
  startGatewayTestDouble,
  startTestBroker,
  type GatewayTestDouble,
  type Observer,
  type Recorded,
  type TestBroker,
} from "./helpers/sim-helpers.ts";

const root = join(import.meta.dirname, "..");
const cameras = 3;

interface Uplink {
  url: string;
  /** Stops forwarding in both directions; the sockets stay open, like a link that went silent. */
  freeze(): void;
  close(): Promise<void>;
}

async function startUplink(brokerPort: number): Promise<Uplink> {
  const pairs: [Socket, Socket][] = [];
  const server: Server = createServer((camera) => {
    const broker = connect(brokerPort, "127.0.0.1");
    camera.pipe(broker);
    broker.pipe(camera);
    const end = () => {
      camera.destroy();
      broker.destroy();
    };
    camera.on("error", end).on("close", end);
    broker.on("error", end).on("close", end);
    pairs.push([camera, broker]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    freeze() {
      for (const [camera, broker] of pairs) {
        camera.unpipe(broker);
        broker.unpipe(camera);
        camera.pause();
        broker.pause();
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const [camera, broker] of pairs) {
          camera.destroy();
          broker.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

interface SimProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves when the simulator logs a line with this message (pino JSON on stdout). */
  logged(message: string): Promise<void>;
}

function startSim(gatewayUrl: string, mqttUrl: string, stateDir: string): SimProcess {
  const args = [
    "--cameras",
    String(cameras),
    "--gateway",
    gatewayUrl,
    "--mqtt-url",
    mqttUrl,
    "--state-dir",
    stateDir,
    "--start-spread-ms",
    "0",
    "--status-interval",
    "60",
  ];
  const child = spawn(process.execPath, ["--import", "tsx", "firmware-sim/src/main.ts", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const messages: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const lines = (buffered + chunk.toString()).split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith("{")) messages.push((JSON.parse(line) as { msg: string }).msg);
    }
    for (const wake of waiters) wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  const logged = (message: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!messages.includes(message)) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
      void exited.then(() =>
        reject(new Error(`simulator exited before logging "${message}"; it logged ${JSON.stringify(messages)}`)),
      );
    });
  return { child, exited, logged };
}

const statusOf = (state: string, reason?: string) => (m: Recorded) => {
  if (!/^devices\/[^/]+\/status$/.test(m.topic)) return false;
  const status = deviceStatusMessage.safeParse(m.payload);
  return status.success && status.data.state === state && (reason === undefined || status.data.reason === reason);
};

let broker: TestBroker;
let gateway: GatewayTestDouble;
let observer: Observer;
let uplink: Uplink;
let sim: SimProcess | null = null;

beforeAll(async () => {
  broker = await startTestBroker();
  // A long keepalive: a frozen uplink must be noticed by the shutdown, not by the MQTT keepalive.
  gateway = await startGatewayTestDouble({ mqttUrl: broker.url, heartbeatIntervalS: 5, keepaliveS: 60 });
});
afterAll(async () => {
  await gateway.close();
  await broker.close();
});
afterEach(async () => {
  sim?.child.kill("SIGKILL");
  await sim?.exited;
  sim = null;
  await observer.close();
  await uplink.close();
});

/** A simulator whose cameras are all online; resolves with the time it was asked to stop from. */
async function simulatorOnline(): Promise<{ sim: SimProcess; devices: Set<string> }> {
  uplink = await startUplink(broker.port);
  observer = await observe(broker.url, ["devices/+/status"]);
  const from = observer.messages.length;
  sim = startSim(gateway.url, uplink.url, await mkdtemp(join(tmpdir(), "wx-sim-shutdown-")));
  const devices = new Set<string>();
  while (devices.size < cameras) {
    const online = await observer.next((m) => statusOf("online")(m) && !devices.has(m.topic), 20_000, from);
    devices.add(online.topic);
  }
  return { sim, devices };
}

describe("simulator process shutdown", () => {
  it("SIGTERM: every camera says offline 'shutdown' (no will), and the process exits 0 within 10 s", async () => {
    const { sim, devices } = await simulatorOnline();
    const from = observer.messages.length;
    const signalledAt = Date.now();
    sim.child.kill("SIGTERM");
    const exit = await sim.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(10_000);
    const after = observer.messages.slice(from);
    expect(new Set(after.filter(statusOf("offline", "shutdown")).map((m) => m.topic))).toEqual(devices);
    // The broker handled each DISCONNECT before the socket closed, so no will followed.
    const late = await observe(broker.url, [...devices]);
    await expect.poll(() => late.messages.length).toBe(cameras);
    expect(late.messages.every(statusOf("offline", "shutdown"))).toBe(true);
    await late.close();
  });

  it("SIGTERM with a frozen uplink: the cameras give up on the broker and the process still exits 0 within 10 s", async () => {
    const { sim } = await simulatorOnline();
    uplink.freeze();
    const signalledAt = Date.now();
    sim.child.kill("SIGTERM");
    const exit = await sim.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(10_000);
  });

  it("a second signal exits at once, with 128 + the signal number", async () => {
    const { sim } = await simulatorOnline();
    uplink.freeze(); // so the graceful stop waits (3 s per camera step) and the second signal has something to cut short
    sim.child.kill("SIGTERM");
    await sim.logged("shutting down");
    sim.child.kill("SIGINT");
    const exit = await sim.exited;
    expect(exit.code).toBe(130);
  });
});
