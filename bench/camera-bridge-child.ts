// The bridge's media half in a process of its own, so the bench reads its CPU and memory alone:
// {type:"start", streams} → {type:"started"}; {type:"measure", ms} → {type:"report", ...}; {type:"stop"}.
// The bench bundles this file as npm run build:bridge bundles the bridge and starts it with the systemd unit's
// node flags, so its memory is the installed bridge's.
import { monitorEventLoopDelay } from "node:perf_hooks";
// The rest of the bridge's code (device client, mqtt.js, zod, pino) is loaded as in the bridge, though no device
// is started here: the figures then count what a watched bridge holds, less its MQTT sessions.
import "../camera-bridge/src/bridge.ts";
import { startRtspStream, type RtspCameraStream } from "../camera-bridge/src/media/rtsp-stream.ts";
import { distribution } from "./stats.ts";

export interface ChildStart {
  type: "start";
  streams: { whipUrl: string; token: string; rtspUrl: string; username: string; password: string }[];
}

export interface ChildReport {
  type: "report";
  cpuPercentOfOneCore: number;
  rssMb: number;
  baselineRssMb: number;
  heapUsedMb: number;
  forwardMs: ReturnType<typeof distribution>;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  videoPacketsSent: number;
}

let streams: RtspCameraStream[] = [];
/** The process before any stream: Node and the modules loaded. */
const baselineRssMb = process.memoryUsage().rss / 2 ** 20;
let forwardSamples: number[] = [];

async function start(message: ChildStart): Promise<void> {
  streams = await Promise.all(
    message.streams.map((s) =>
      startRtspStream({
        whipUrl: s.whipUrl,
        token: s.token,
        hostAddresses: ["127.0.0.1"],
        rtspUrl: s.rtspUrl,
        account: { username: s.username, password: s.password },
        onVideoPacketForwarded: (receivedAt, forwardedAt) => forwardSamples.push(forwardedAt - receivedAt),
      }),
    ),
  );
  process.send?.({ type: "started" });
}

async function measure(ms: number): Promise<void> {
  forwardSamples = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpuBefore = process.cpuUsage();
  const at = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = performance.now() - at;
  loop.disable();
  const memory = process.memoryUsage();
  const report: ChildReport = {
    type: "report",
    cpuPercentOfOneCore: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    rssMb: memory.rss / 2 ** 20,
    baselineRssMb,
    heapUsedMb: memory.heapUsed / 2 ** 20,
    forwardMs: distribution(forwardSamples),
    eventLoopDelayMs: {
      p50: loop.percentile(50) / 1e6,
      p99: loop.percentile(99) / 1e6,
      max: loop.max / 1e6,
    },
    videoPacketsSent: streams.reduce((n, s) => n + s.stats().videoPacketsSent, 0),
  };
  process.send?.(report);
}

process.on("message", (message: ChildStart | { type: "measure"; ms: number } | { type: "stop" }) => {
  const run = async () => {
    if (message.type === "start") await start(message);
    else if (message.type === "measure") await measure(message.ms);
    else {
      await Promise.all(streams.map((s) => s.stop()));
      process.exit(0);
    }
  };
  run().catch((error: Error) => {
    process.send?.({ type: "error", message: error.message });
  });
});
process.send?.({ type: "ready" });
