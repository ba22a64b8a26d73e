// Real PostgreSQL and Redis servers of a test file's own, from the Debian packages (postgresql, redis-server), on
// free ports in temporary data directories, so `npm test` needs no server already running. TEST_POSTGRES_URL (or a
// PostgreSQL TEST_DATABASE_URL) points the tests at a running PostgreSQL instead, which saves its initdb.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { Redis } from "ioredis";
import { freePort } from "./free-port.ts";
import { postgresBinDir, toolInstalled } from "./tools.ts";

export interface LocalServer {
  url: string;
  stop(): Promise<void>;
}

async function waitUntil(what: string, ready: () => Promise<boolean>, exited: () => string | null): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit !== null) throw new Error(`${what} exited before it was ready: ${exit}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} was not ready within 30 s`);
}

function watch(child: ChildProcess): { output: () => string; exited: () => string | null; stop(): Promise<void> } {
  let output = "";
  let exit: string | null = null;
  for (const stream of [child.stdout, child.stderr]) stream?.on("data", (c: Buffer) => (output += c.toString()));
  const done = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = `${code ?? signal}: ${output.slice(-2000)}`;
      resolve();
    }),
  );
  return {
    output: () => output,
    exited: () => exit,
    async stop() {
      if (exit === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Redis on a free port, nothing saved to disk; stop() ends it and removes its directory. */
export async function startRedisServer(): Promise<LocalServer> {
  const dir = mkdtempSync(join(tmpdir(), "wx-redis-"));
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"];
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  const process = watch(child);
  const url = `redis://127.0.0.1:${port}`;
  const ping = async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => undefined); // refused until the server listens: the loop tries again
    try {
      await client.connect();
      return (await client.ping()) === "PONG";
    } finally {
      client.disconnect();
    }
  };
  await waitUntil("redis-server", ping, process.exited);
  return {
    url,
    async stop() {
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// PostgreSQL will not run as root: as root (CI), the cluster belongs to the postgres user the package creates.
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** PostgreSQL on a free port (trust, user postgres, database test), fsync off: a test server, not a store. */
export async function startPostgresServer(): Promise<LocalServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), "wx-postgres-"));
  chmodSync(dir, 0o700);
  if (user) chownSync(dir, user.uid, user.gid);
  const asUser = { ...user, stdio: "pipe" as const };
  execFileSync(join(bin, "initdb"), ["-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], asUser);
  const port = await freePort();
  const settings = ["-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`, "-c", "fsync=off"];
  const child = spawn(join(bin, "postgres"), ["-D", dir, "-p", String(port), ...settings], {
    ...user,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const process = watch(child);
  const admin = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const connects = async () => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.end();
    return true;
  };
  await waitUntil("postgres", connects, process.exited);
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query("CREATE DATABASE test");
  await client.end();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/test`,
    async stop() {
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The file's Redis: a server of its own (starting one takes milliseconds, so no shared server is used). */
export const testRedis = startRedisServer;

/** The file's PostgreSQL: TEST_POSTGRES_URL, a PostgreSQL TEST_DATABASE_URL, or a server of its own. */
export async function testPostgres(): Promise<LocalServer> {
  const given =
    process.env.TEST_POSTGRES_URL ??
    (process.env.TEST_DATABASE_URL?.startsWith("postgres") ? process.env.TEST_DATABASE_URL : undefined);
  if (given) return { url: given, stop: async () => undefined };
  return startPostgresServer();
}

export const hasRedis = toolInstalled("redis");
export const hasPostgres =
  Boolean(process.env.TEST_POSTGRES_URL) ||
  Boolean(process.env.TEST_DATABASE_URL?.startsWith("postgres")) ||
  toolInstalled("postgresql");
