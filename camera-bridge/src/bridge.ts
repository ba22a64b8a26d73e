// The bridge: one device-client device per configured camera, each with its own credentials in the state
// directory (so a reboot of the box needs nobody), each watching its camera's health.
import { Lifecycle } from "../../core/lifecycle.ts";
import { createCredentialsStore } from "../../device-client/src/credentials-store.ts";
import type { Logger } from "../../device-client/src/log.ts";
import type { CameraHealth } from "../../protocol/index.ts";
import { BridgedCamera, type StartRtspStream } from "./bridged-camera.ts";
import type { BridgeConfig } from "./config.ts";

export interface BridgeDeps {
  log: Logger;
  startRtspStream: StartRtspStream;
}

export interface BridgeCameraSummary {
  serial: string;
  deviceId: string | null;
  state: string;
  camera: CameraHealth;
}

export interface Bridge {
  readonly cameras: readonly BridgedCamera[];
  start(): Promise<void>;
  stop(): Promise<void>;
  summary(): BridgeCameraSummary[];
}

export function createBridge(config: BridgeConfig, deps: BridgeDeps): Bridge {
  const store = createCredentialsStore(config.stateDir);
  const cameras = config.cameras.map(
    (camera) =>
      new BridgedCamera({
        camera,
        gatewayUrl: config.gatewayUrl,
        store,
        log: deps.log.child({ serial: camera.serial }),
        probeIntervalS: config.probeIntervalS,
        startRtspStream: deps.startRtspStream,
        hostAddresses: config.hostAddresses,
        ...(config.heartbeatIntervalS ? { heartbeatIntervalS: config.heartbeatIntervalS } : {}),
        ...(config.mqttUrl ? { mqttUrl: config.mqttUrl } : {}),
      }),
  );
  const lifecycle = new Lifecycle(deps.log);
  return {
    cameras,
    async start() {
      // Each camera's first check runs at the same time: one unplugged camera must not hold up the others.
      await Promise.all(
        cameras.map((camera) =>
          lifecycle.step(
            `camera ${camera.device.serial}`,
            () => camera.start(),
            () => camera.stop(),
          ),
        ),
      );
    },
    stop: () => lifecycle.stop(8_000),
    summary: () =>
      cameras.map((camera) => {
        const snapshot = camera.device.snapshot();
        return { serial: snapshot.serial, deviceId: snapshot.deviceId, state: snapshot.state, camera: camera.health };
      }),
  };
}
