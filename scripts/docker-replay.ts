// CI's proof that the Dockerfile builds and its image serves, on machines without a Docker engine:
// replays the Dockerfile in a fresh temporary directory (deploy/src/replay.ts), then starts the final stage's
// CMD as its USER with a test configuration on free ports, checks /healthz and stops it with SIGTERM.
//   node --import tsx scripts/docker-replay.ts [--context DIR] [--keep]      (needs root: chroot, mounts)
import { execFileSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { replayDockerfile, type BuiltStage } from "../deploy/src/replay.ts";
import { removeReplayDir, spawnInStage } from "../deploy/src/sandbox.ts";

const args = process.argv.slice(2);
const context = resolve(
  args.includes("--context")
    ? args[args.indexOf("--context") + 1]!
    : join(dirname(fileURLToPath(import.meta.url)), ".."),
);
const keep = args.includes("--keep");
const log = (line: string) => console.log(line);

function fail(message: string): never {
  throw new Error(message);
}

/** The built image must hold the web app, no database and no build secrets, and must not run as root. */
function checkImage(image: BuiltStage): void {
  const app = join(image.root, image.workdir);
  if (!existsSync(join(app, "web/dist/index.html"))) fail(`the image lacks ${image.workdir}/web/dist/index.html`);
  const dataDir = join(app, "data");
  const data = existsSync(dataDir) ? readdirSync(dataDir) : [];
  if (data.length) fail(`the image ships data: ${data.join(", ")}`);
  if (existsSync(join(app, ".env"))) fail("the image contains .env");
  if (image.user.startsWith("0:")) fail("the image runs as root");
  if (!image.cmd) fail("the final stage has no CMD");
  const size = execFileSync("du", ["-sh", app], { encoding: "utf8" }).split("\t")[0];
  log(`   image checks: web/dist present, data/ empty, no .env, runs as ${image.user}; ${image.workdir} holds ${size}`);
}

/** A port free for both TCP and UDP now (the relay's first worker binds both). */
async function freeTcpUdpPort(): Promise<number> {
  for (;;) {
    const server = createServer();
    const port = await new Promise<number>((ok) =>
      server.listen(0, "127.0.0.1", () => ok((server.address() as { port: number }).port)),
    );
    const udp = createSocket("udp4");
    const udpFree = await new Promise<boolean>((ok) => {
      udp.once("error", () => ok(false));
      udp.bind(port, "127.0.0.1", () => ok(true));
    });
    udp.close();
    await new Promise((ok) => server.close(ok));
    if (udpFree) return port;
  }
}

/** Resolves with the gateway's HTTP address from its "Server listening at" log line; rejects if it exits first. */
function listeningUrl(child: ChildProcess, output: string[]): Promise<string> {
  return new Promise((ok, no) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      output.push(line);
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (match) ok(match[1]!);
    });
    createInterface({ input: child.stderr! }).on("line", (line) => output.push(line));
    child.once("exit", (code, signal) => no(new Error(`the CMD exited (${code ?? signal}) before listening`)));
  });
}

function exited(child: ChildProcess): Promise<number | string> {
  return new Promise((ok) => child.once("exit", (code, signal) => ok(code ?? signal ?? "?")));
}

/** As README "Deploying" says: `npm run admin -- create-user` inside the image, then sign in with that account. */
async function firstStaffAccount(image: BuiltStage, env: Record<string, string>, url: string): Promise<void> {
  const argv = [
    "npm",
    "run",
    "--silent",
    "admin",
    "--",
    "create-user",
    "--role",
    "staff",
    "--username",
    "replay-duty",
    "--generate",
  ];
  const child = spawnInStage({ root: image.root, workdir: image.workdir, user: image.user, argv, env, stdio: "pipe" });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const code = await exited(child);
  const password = /Password \(shown once, store it now\): (\S+)/.exec(out)?.[1];
  if (code !== 0 || !password) throw new Error(`npm run admin -- create-user in the image failed (${code}):\n${out}`);
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "replay-duty", password }),
  });
  const body = (await login.json()) as { user?: { role?: string } };
  if (login.status !== 200 || body.user?.role !== "staff")
    throw new Error(`sign-in with the new staff account: ${login.status} ${JSON.stringify(body)}`);
  log("   npm run admin -- create-user --role staff (in the image) → signed in as staff over HTTP");
}

async function startImage(image: BuiltStage): Promise<void> {
  const cmd = image.cmd!;
  const env = {
    ...image.env,
    HTTP_HOST: "127.0.0.1",
    HTTP_PORT: "0",
    MQTT_HOST: "127.0.0.1",
    MQTT_PORT: "0",
    LOG_LEVEL: "info",
    SEED_DEMO_DATA: "0",
    RELAY_WORKERS: "1",
    RELAY_RTC_PORT: String(await freeTcpUdpPort()),
    RELAY_HOST_ADDRESSES: "127.0.0.1",
  };
  log(`── starting the image: CMD as ${image.user} with HTTP_PORT=0 MQTT_PORT=0 RELAY_RTC_PORT=${env.RELAY_RTC_PORT}`);
  const argv = cmd.shell ? ["/bin/sh", "-c", cmd.command[0]!] : cmd.command;
  const child = spawnInStage({ root: image.root, workdir: image.workdir, user: image.user, argv, env, stdio: "pipe" });
  const output: string[] = [];
  const exit = exited(child);
  const started = Date.now();
  try {
    const url = await listeningUrl(child, output);
    log(`   listening at ${url} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const health = await fetch(`${url}/healthz`);
    const body = await health.text();
    log(`   GET /healthz → ${health.status} ${body}`);
    if (!health.ok) throw new Error(`/healthz answered ${health.status}`);
    await firstStaffAccount(image, env, url);
  } catch (error) {
    child.kill("SIGKILL");
    await exit;
    fail(`${(error as Error).message}\n${output.slice(-40).join("\n")}`);
  }
  const stopping = Date.now();
  child.kill("SIGTERM");
  const code = await Promise.race([exit, new Promise((ok) => setTimeout(() => ok("timeout"), 15_000).unref())]);
  if (code === "timeout") {
    child.kill("SIGKILL");
    fail(`the gateway did not exit within 15 s of SIGTERM\n${output.slice(-20).join("\n")}`);
  }
  log(`   SIGTERM → exit ${code} after ${((Date.now() - stopping) / 1000).toFixed(1)} s`);
  if (code !== 0) fail(`exit code ${code} after SIGTERM\n${output.slice(-20).join("\n")}`);
}

if (process.getuid?.() !== 0) {
  console.error("docker replay: needs root (chroot and bind mounts in a private mount namespace)");
  process.exit(1);
}
const workDir = mkdtempSync(join(tmpdir(), "wx-docker-replay-"));
const began = Date.now();
log(
  `Replaying ${join(context, "Dockerfile")} in ${workDir} (no Docker engine: each stage is a directory, each step runs chrooted)`,
);
try {
  const image = await replayDockerfile({ dockerfile: join(context, "Dockerfile"), context, workDir, log });
  checkImage(image);
  await startImage(image);
  log(`docker replay passed in ${((Date.now() - began) / 1000).toFixed(0)} s`);
} catch (error) {
  console.error(`docker replay FAILED: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  if (keep) log(`kept ${workDir}`);
  else removeReplayDir(workDir);
}
