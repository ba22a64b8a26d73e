// The brokers Wangxiang's is measured against: Mosquitto, the machine's own (found by pgrep) or a private one
// started here with password authentication on a free port (the system configuration is never touched); and
// aedes alone, in a child process (bench/aedes-alone.ts).
import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/helpers/free-port.ts";
import type { CameraCredential } from "./ipc.ts";

export interface ReferenceBroker {
  url: string;
  pid: number;
  description: string;
  /** Whether CONNECT passwords are checked (the system broker here allows anonymous clients). */
  authenticates: boolean;
  /** Open-file limit of the broker process: each connection takes one. */
  maxOpenFiles: number | null;
  /** JS heap in use after forced GCs: only a broker written for Node has one. */
  heapUsedBytes?(): Promise<number>;
  stop(): Promise<void>;
}

/** Resident memory of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function vmRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

function maxOpenFilesOf(pid: number): number | null {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** The machine's Mosquitto on host:port: its pid from the pid file of /etc/mosquitto/mosquitto.conf, else pgrep. */
export function systemMosquitto(host = "127.0.0.1", port = 1883): ReferenceBroker {
  let pid: number | null = null;
  const pidFile = "/run/mosquitto/mosquitto.pid";
  if (existsSync(pidFile)) {
    const candidate = Number(readFileSync(pidFile, "utf8").trim());
    if (
      candidate > 0 &&
      existsSync(`/proc/${candidate}/status`) &&
      readFileSync(`/proc/${candidate}/comm`, "utf8").trim() === "mosquitto"
    )
      pid = candidate;
  }
  if (pid === null) {
    const pids = execFileSync("pgrep", ["-x", "mosquitto"], { encoding: "utf8" })
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    if (pids.length === 0) throw new Error("no mosquitto process found (pgrep -x mosquitto)");
    // Prefer the one started with the system configuration.
    pid =
      pids.find((p) => readFileSync(`/proc/${p}/cmdline`, "utf8").includes("/etc/mosquitto/mosquitto.conf")) ??
      pids[0]!;
  }
  let anonymous = false;
  try {
    anonymous = /^\s*allow_anonymous\s+true/m.test(readFileSync("/etc/mosquitto/mosquitto.conf", "utf8"));
  } catch {
    /* unreadable: assume it checks */
  }
  return {
    url: `mqtt://${host}:${port}`,
    pid,
    description: `system mosquitto pid ${pid} (${host}:${port}${anonymous ? ", allow_anonymous true" : ""})`,
    authenticates: !anonymous,
    maxOpenFiles: maxOpenFilesOf(pid),
    async stop() {},
  };
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`private mosquitto exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: "127.0.0.1" }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`private mosquitto did not listen on ${port} within ${timeoutMs} ms`);
}

/**
 * A fresh Mosquitto with a password file holding every camera (mosquitto_passwd -U hashes them: PBKDF2-SHA512)
 * and anonymous access off: the same authentication work per CONNECT as our broker does, in a process
 * whose memory starts clean. Stopped (SIGTERM) and its files removed by stop().
 */
export async function privateMosquitto(cameras: CameraCredential[], maxOpenFiles: number): Promise<ReferenceBroker> {
  const dir = mkdtempSync(join(tmpdir(), "wx-bench-mosquitto-"));
  chmodSync(dir, 0o755); // mosquitto drops root for user "mosquitto" and must still read its files
  const passwordFile = join(dir, "passwords");
  writeFileSync(passwordFile, cameras.map((c) => `${c.deviceId}:${c.password}`).join("\n") + "\n", { mode: 0o644 });
  const hashStart = performance.now();
  execFileSync("mosquitto_passwd", ["-U", passwordFile], { stdio: "pipe" });
  const hashMs = performance.now() - hashStart;
  chmodSync(passwordFile, 0o644);
  const port = await freePort();
  const confFile = join(dir, "mosquitto.conf");
  writeFileSync(
    confFile,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous false",
      `password_file ${passwordFile}`,
      "persistence false",
      "log_dest none",
      "max_keepalive 300",
      "",
    ].join("\n"),
  );
  const child = spawn("/bin/sh", ["-c", `ulimit -n ${maxOpenFiles} 2>/dev/null; exec mosquitto -c "$0"`, confFile], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    await waitForPort(port, child, 5000);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${stderr}`, { cause: error });
  }
  const pid = child.pid!;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid,
    authenticates: true,
    maxOpenFiles: maxOpenFilesOf(pid),
    description: `private mosquitto pid ${pid} (127.0.0.1:${port}, password_file of ${cameras.length} users hashed in ${(hashMs / 1000).toFixed(1)} s, persistence off)`,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SIGTERM, and SIGKILL after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** aedes with nothing of ours around it (bench/aedes-alone.ts), in its own process; it checks no passwords. */
export async function aedesAlone(): Promise<ReferenceBroker> {
  const script = join(dirname(fileURLToPath(import.meta.url)), "aedes-alone.ts");
  const child = fork(script, [], {
    cwd: join(dirname(script), ".."),
    execArgv: ["--import", "tsx", "--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("aedes alone did not listen within 30 s")), 30_000);
    child.once("message", (message: { port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`aedes alone exited with ${code} before listening`));
    });
  });
  const pid = child.pid!;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid,
    authenticates: false,
    maxOpenFiles: maxOpenFilesOf(pid),
    description: `aedes alone pid ${pid} (127.0.0.1:${port}, no authentication, bench/aedes-alone.ts)`,
    heapUsedBytes: () =>
      new Promise((resolve) => {
        child.once("message", (message: { heapUsed: number }) => resolve(message.heapUsed));
        child.send("heap");
      }),
    stop: () => stopChild(child),
  };
}
