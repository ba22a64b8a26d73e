// Janus (Debian package `janus`) with only its streaming plugin and HTTP transport, on loopback, with one
// RTP mountpoint (VP8 pt 96 + Opus pt 111) that the benchmark feeds with the same clips the simulated
// camera sends to our relay. Installed with apt-get when missing (the benchmark is not part of CI).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/helpers/free-port.ts";
import { startClipSource, type ClipSource } from "../firmware-sim/src/media/clip-source.ts";

const libDir = "/usr/lib/x86_64-linux-gnu/janus";

export function ensureJanus(): void {
  if (existsSync("/usr/bin/janus")) return;
  console.log("janus is not installed: apt-get install -y janus …");
  execFileSync("apt-get", ["install", "-y", "-q", "janus"], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  socket.close();
  return port;
}

export interface JanusServer {
  url: string;
  pid: number;
  mountpointId: number;
  stop(): Promise<void>;
}

/** Janus's configuration in dir (its plugin folders hold links to the two plugins it needs); returns the config folder. */
function writeJanusConfig(
  dir: string,
  ports: { httpPort: number; videoPort: number; audioPort: number },
  mountpointId: number,
): string {
  const { httpPort, videoPort, audioPort } = ports;
  const folder = (name: string, libs: string[]) => {
    const path = join(dir, name);
    mkdirSync(path);
    for (const lib of libs) symlinkSync(join(libDir, name, lib), join(path, lib));
    return path;
  };
  const plugins = folder("plugins", ["libjanus_streaming.so"]);
  const transports = folder("transports", ["libjanus_http.so"]);
  const events = folder("events", []);
  const loggers = folder("loggers", []);
  const conf = join(dir, "conf");
  mkdirSync(conf);
  writeFileSync(
    join(conf, "janus.jcfg"),
    `general: {
  configs_folder = "${conf}"
  plugins_folder = "${plugins}"
  transports_folder = "${transports}"
  events_folder = "${events}"
  loggers_folder = "${loggers}"
  debug_level = 2
  session_timeout = 120
}
media: { }
nat: { nice_debug = false }
plugins: { }
transports: { }
`,
  );
  writeFileSync(
    join(conf, "janus.transport.http.jcfg"),
    `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = ${httpPort}
  ip = "127.0.0.1"
  https = false
}
admin: { admin_http = false }
`,
  );
  writeFileSync(
    join(conf, "janus.plugin.streaming.jcfg"),
    `general: { }
wangxiang: {
  type = "rtp"
  id = ${mountpointId}
  description = "wangxiang camera clip"
  media = (
    { type = "video" mid = "v" label = "video" port = ${videoPort} pt = 96 codec = "vp8" },
    { type = "audio" mid = "a" label = "audio" port = ${audioPort} pt = 111 codec = "opus" }
  )
}
`,
  );
  return conf;
}

async function waitForJanus(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const info = await fetch(`${url}/info`)
      .then((r) => r.json() as Promise<{ plugins?: Record<string, unknown> }>)
      .catch(() => null);
    if (info?.plugins?.["janus.plugin.streaming"]) return;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`janus did not start:\n${log().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startJanus(): Promise<JanusServer> {
  ensureJanus();
  const dir = mkdtempSync(join(tmpdir(), "wx-janus-"));
  const httpPort = await freePort();
  const videoPort = await freeUdpPort();
  const audioPort = await freeUdpPort();
  const mountpointId = 1;
  const conf = writeJanusConfig(dir, { httpPort, videoPort, audioPort }, mountpointId);
  // ICE on loopback only: libnice skips loopback interfaces unless they are the only ones allowed.
  const child: ChildProcess = spawn("janus", ["-C", join(conf, "janus.jcfg"), "-F", conf, "-E", "127.0.0.1", "-o"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (chunk) => (log = (log + chunk).slice(-20_000)));
  child.stderr!.on("data", (chunk) => (log = (log + chunk).slice(-20_000)));
  const url = `http://127.0.0.1:${httpPort}/janus`;
  await waitForJanus(url, child, () => log);

  // The same clips, paced the same way, as plain RTP to the mountpoint's ports.
  const rtp = createSocket("udp4");
  await new Promise<void>((resolve) => rtp.bind(0, "127.0.0.1", resolve));
  const source: ClipSource = startClipSource({
    onVideoPacket: (packet) => rtp.send(packet.serialize(), videoPort, "127.0.0.1"),
    onAudioPacket: (packet) => rtp.send(packet.serialize(), audioPort, "127.0.0.1"),
  });
  // Janus's PLIs cannot reach a plain RTP feed; the clip's own keyframes (every ~2 s) serve new viewers,
  // and our werift viewers only count packets, so nothing extra is sent (same bytes as the relay gets).

  return {
    url,
    pid: child.pid!,
    mountpointId,
    async stop() {
      source.stop();
      rtp.close();
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
