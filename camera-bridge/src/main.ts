// npm run bridge — makes the RTSP/ONVIF cameras listed in WX_BRIDGE_CAMERAS Wangxiang cameras (README.md here).
// SIGTERM/SIGINT: each camera's device ends its stream, publishes a retained offline "shutdown" and disconnects.
import { handleShutdownSignals } from "../../core/shutdown.ts";
import { readLogFormat, terminalLogDestination } from "../../core/log-output.ts";
import { createLogger } from "../../device-client/src/log.ts";
import { createBridge } from "./bridge.ts";
import type { StartRtspStream } from "./bridged-camera.ts";
import { BridgeConfigError, loadBridgeConfig, type BridgeConfig } from "./config.ts";

function readConfig(): BridgeConfig {
  try {
    return loadBridgeConfig();
  } catch (error) {
    if (!(error instanceof BridgeConfigError)) throw error;
    process.stderr.write(error.message + "\n");
    process.exit(2);
  }
}

/**
 * Live view: the camera's RTSP pulled only while the stream exists, passed through to the relay over WHIP. The
 * media code (werift: ~35 MB of RSS on import) loads at the first watch: a bridge nobody watches never pays it.
 */
const pullAndPublish: StartRtspStream = async ({ rtspUrl, account, requestKeyframe, onAudioOff }, options) => {
  const { startRtspStream } = await import("./media/rtsp-stream.ts");
  return startRtspStream({
    ...options,
    rtspUrl,
    onAudioOff,
    ...(account ? { account } : {}),
    ...(requestKeyframe ? { requestKeyframe } : {}),
  });
};

async function main() {
  const config = readConfig();
  const log = createLogger({
    name: "camera-bridge",
    level: config.logLevel,
    stream: terminalLogDestination(readLogFormat()),
  });
  const bridge = createBridge(config, { log, startRtspStream: pullAndPublish });
  const shutdown = handleShutdownSignals({ stop: () => bridge.stop(), log });
  try {
    await bridge.start();
    log.info({ cameras: bridge.summary() }, "bridge running");
  } catch (error) {
    if (shutdown.stopping) return;
    log.fatal({ err: (error as Error).message }, "bridge could not start");
    await bridge.stop();
    process.exit(1);
  }
}

await main();
