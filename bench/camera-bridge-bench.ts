// npm run bench:bridge — an IP camera (GStreamer's RTSP server, H.264 + PCMA) through the bridge and the
// relay into Chromium. Prints, and writes bench/results/camera-bridge-<date>.json:
//  1. tap → first decoded frame with camera GOPs of 1, 2 and 4 s, for a camera that starts an encoder per
//     RTSP session (its first frame is a keyframe) and one whose encoder always runs (a session joins mid-GOP),
//     cold and re-tapped while the bridge's pull lingers (RtspFeed lingerMs), and cold on an always-on camera
//     that honours ONVIF SetSynchronizationPoint (the bridge's keyframe request, through the test ONVIF device);
//     BENCH_ONLY=<text> runs only the tap cases whose name holds it, and skips 2 and 3; BENCH_TAPS=0 skips 1;
//  2. the bridge's CPU and memory per watched camera (720p, ~2 Mbit/s, the bridge alone in a child process,
//     publishing to the relay: what a viewer adds is the relay's, not the bridge's), and with four cameras; the
//     child is bundled like the installed bridge and run with the systemd unit's node flags;
//  3. what the bridge adds to glass-to-glass: camera packet read → SRTP datagram handed to the relay's socket.
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { RtspFeed } from "../camera-bridge/src/media/rtsp-feed.ts";
import { startRtspStream, type RtspCameraStream } from "../camera-bridge/src/media/rtsp-stream.ts";
import { OnvifClient } from "../camera-bridge/src/onvif.ts";
import { startOnvifDevice, type OnvifDevice } from "../test/helpers/onvif-device.ts";
import { chromiumArgs, chromiumPath } from "../test/helpers/relay-browser.ts";
import { startRtspCamera, type RtspCamera, type RtspCameraOptions } from "../test/helpers/rtsp-camera.ts";
import { tapToFirstFrameMs, watchInPage } from "../test/helpers/whep-page.ts";
import { PUBLISH_TOKEN, startRelayStack, type RelayStack } from "../test/relay-stack.ts";
import { bridgeBuildOptions } from "../scripts/bridge-build-options.ts";
import type { ChildReport } from "./camera-bridge-child.ts";
import { distribution } from "./stats.ts";

const root = join(import.meta.dirname, "..");
const TRIALS = Number(process.env.BENCH_TRIALS ?? 7);
const ONLY = process.env.BENCH_ONLY;
/** BENCH_TAPS=0: parts 2 and 3 only (no Chromium), for the bridge's own cost and added latency. */
const TAPS = process.env.BENCH_TAPS !== "0";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `lingerMs`: the bridge keeps pulling that long after the stream stops; the first (cold) tap is not counted. */
async function tapTrials(browser: Browser, cameraOptions: RtspCameraOptions, lingerMs = 0) {
  const camera = await startRtspCamera(cameraOptions);
  const account = { username: camera.user, password: camera.password };
  const feed = lingerMs ? new RtspFeed({ url: camera.url, account, lingerMs }) : undefined;
  // As the bridge does for an ONVIF camera (bridged-camera.ts): SetSynchronizationPoint on its first profile.
  let onvif: OnvifDevice | undefined;
  let requestKeyframe: (() => void) | undefined;
  if (cameraOptions.honoursKeyframeRequests) {
    onvif = await startOnvifDevice({
      username: camera.user,
      password: camera.password,
      streamUri: camera.url,
      jpeg: Buffer.alloc(0),
      onKeyframeRequest: () => camera.requestKeyframe(),
    });
    const client = new OnvifClient(onvif.url, account);
    requestKeyframe = () => void client.synchronizationPoint("main_profile");
  }
  let stream: Promise<RtspCameraStream> | undefined;
  const stack = await startRelayStack({
    onViewerJoined: () => {
      stream ??= startRtspStream({
        whipUrl: stack.whipUrl("ipcam"),
        token: PUBLISH_TOKEN,
        hostAddresses: ["127.0.0.1"],
        rtspUrl: camera.url,
        account,
        feed,
        requestKeyframe,
      });
    },
  });
  const samples: number[] = [];
  try {
    if (cameraOptions.alwaysOn) await sleep(1_500); // the camera's encoder is running before anyone watches
    for (let trial = feed ? -1 : 0; trial < TRIALS; trial++) {
      const page = await browser.newPage();
      await page.goto(`${stack.baseUrl}/api/v1/whep/ipcam`).catch(() => undefined);
      await watchInPage(page, stack.whepUrl("ipcam"), `viewer-${trial}`);
      const ms = await tapToFirstFrameMs(page);
      if (trial >= 0) samples.push(ms);
      await page.close();
      await (await stream)?.stop();
      stream = undefined;
      // A random phase against the camera's GOP for the next tap.
      await sleep(300 + Math.random() * (cameraOptions.gop ?? 2) * 1000);
    }
  } finally {
    await (await stream)?.stop();
    await feed?.close();
    await onvif?.close();
    await stack.stop();
    await camera.stop();
  }
  return distribution(samples);
}

/** The node flags the systemd unit starts the bridge with (its ExecStart line). */
function unitNodeFlags(): string[] {
  const unit = readFileSync(join(root, "camera-bridge/wangxiang-bridge.service"), "utf8");
  const execStart = /^ExecStart=\S*node((?: -\S+)*) \S+\.mjs$/m.exec(unit);
  if (!execStart) throw new Error("camera-bridge/wangxiang-bridge.service: no ExecStart=…node [flags] ….mjs line");
  return execStart[1]!.split(" ").filter(Boolean);
}

/** The child bundled as npm run build:bridge bundles the bridge (no tsx), to run with the unit's node flags. */
async function buildChild(): Promise<string> {
  const outdir = join(tmpdir(), "wangxiang-bridge-bench-child");
  await build({ ...bridgeBuildOptions, entryPoints: { child: join(root, "bench/camera-bridge-child.ts") }, outdir });
  return join(outdir, "child.mjs");
}

async function child(): Promise<{ process: ChildProcess; next: () => Promise<Record<string, unknown>> }> {
  const proc = fork(await buildChild(), [], {
    execArgv: unitNodeFlags(),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const queue: Record<string, unknown>[] = [];
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  proc.on("message", (m: Record<string, unknown>) => {
    if (m.type === "error") console.error("bridge child:", m.message);
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else queue.push(m);
  });
  const next = () =>
    queue.length ? Promise.resolve(queue.shift()!) : new Promise<Record<string, unknown>>((r) => waiters.push(r));
  return next().then(() => ({ process: proc, next }));
}

async function bridgeCost(stack: RelayStack, camera: RtspCamera, cameras: number): Promise<ChildReport> {
  const { process: proc, next } = await child();
  const ids = Array.from({ length: cameras }, (_, i) => `cost-${cameras}-${i}`);
  proc.send({
    type: "start",
    streams: ids.map((id) => ({
      whipUrl: stack.whipUrl(id),
      token: PUBLISH_TOKEN,
      rtspUrl: camera.url,
      username: camera.user,
      password: camera.password,
    })),
  });
  await next(); // started
  await sleep(3_000);
  proc.send({ type: "measure", ms: 20_000 });
  const report = (await next()) as unknown as ChildReport;
  proc.send({ type: "stop" });
  await new Promise((resolve) => proc.once("exit", resolve));
  return report;
}

async function tapCases(): Promise<Record<string, unknown>> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  const small = { width: 640, height: 360, bitrateKbps: 800 };
  const tapToFirstFrameMs: Record<string, unknown> = {};
  const run = async (name: string, options: RtspCameraOptions, lingerMs = 0) => {
    if (!ONLY || name.includes(ONLY)) tapToFirstFrameMs[name] = await tapTrials(browser, options, lingerMs);
  };
  for (const gop of [1, 2, 4]) {
    await run(`gop${gop}-encoderPerSession`, { gop, ...small });
    await run(`gop${gop}-encoderAlwaysOn`, { gop, ...small, alwaysOn: true });
    await run(`gop${gop}-encoderAlwaysOn-retapWithinLinger`, { gop, ...small, alwaysOn: true }, 60_000);
    await run(`gop${gop}-encoderAlwaysOn-honoursKeyframeRequests`, {
      gop,
      ...small,
      alwaysOn: true,
      honoursKeyframeRequests: true,
    });
    console.log(`GOP ${gop} s:`, JSON.stringify(tapToFirstFrameMs, null, 0));
  }
  await browser.close();
  return tapToFirstFrameMs;
}

async function main() {
  const loadAtStart = loadavg();
  const tapToFirstFrameMs = TAPS ? await tapCases() : {};
  if (ONLY) {
    console.log(JSON.stringify({ date: new Date().toISOString(), trialsPerCase: TRIALS, tapToFirstFrameMs }, null, 2));
    return;
  }

  // 720p, 2 Mbit/s, one encoder shared by every session (so four cameras cost the machine one x264).
  const camera = await startRtspCamera({ gop: 2, bitrateKbps: 2000, alwaysOn: true, backchannel: false });
  const stack = await startRelayStack();
  await sleep(1_500);
  const one = await bridgeCost(stack, camera, 1);
  const four = await bridgeCost(stack, camera, 4);
  await stack.stop();
  await camera.stop();

  const results = {
    date: new Date().toISOString(),
    bridgeNodeFlags: unitNodeFlags(),
    machine: "2 shared cores, loopback; camera, relay, Chromium and bridge on the same machine",
    /** 1, 5 and 15 min load averages (the cores are shared with other work). */
    loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
    trialsPerCase: TRIALS,
    tapToFirstFrameMs,
    bridgeOneCamera720p2Mbit: one,
    bridgeFourCameras720p2Mbit: four,
  };
  mkdirSync(join(root, "bench/results"), { recursive: true });
  const file = join(root, `bench/results/camera-bridge-${results.date.slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(JSON.stringify(results, null, 2));
  console.log(`written to ${file}`);
}

await main();
process.exit(0);
