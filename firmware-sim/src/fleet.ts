// Many cameras in one process, sharing one state directory (one file per serial).
import { createCamera, cameraStates, type Camera, type CameraOptions, type CameraState } from "./camera.ts";
import { createCredentialsStore } from "../../device-client/src/credentials-store.ts";
import { silentLogger, type Logger } from "../../device-client/src/log.ts";

export interface FleetCamera {
  serial: string;
  claimCode: string;
  firmware?: string;
}

export interface FleetOptions extends Omit<CameraOptions, "serial" | "claimCode" | "firmware" | "store" | "log"> {
  stateDir: string;
  cameras: FleetCamera[];
  /** Cameras switch on at random moments within this window, as after a village-wide power cut. Default 0. */
  startSpreadMs?: number;
  log?: Logger;
}

export interface FleetSummary {
  total: number;
  claimed: number;
  online: number;
  refused: number;
  byState: Record<CameraState, number>;
}

export interface Fleet {
  readonly cameras: readonly Camera[];
  camera(serial: string): Camera | undefined;
  /** Switches every camera on (spread over startSpreadMs); resolves once all have begun booting. */
  start(): Promise<void>;
  stop(): Promise<void>;
  summary(): FleetSummary;
}

export function createFleet(options: FleetOptions): Fleet {
  const { stateDir, cameras: specs, startSpreadMs = 0, log = silentLogger(), ...cameraDefaults } = options;
  const store = createCredentialsStore(stateDir);
  const cameras = specs.map((spec) => createCamera({ ...cameraDefaults, ...spec, store, log }));
  const bySerial = new Map(cameras.map((camera) => [camera.serial, camera]));
  if (bySerial.size !== cameras.length) throw new Error("createFleet: the same serial appears twice");
  const random = options.random ?? Math.random;
  const pendingStarts = new Map<NodeJS.Timeout, () => void>();

  return {
    cameras,
    camera: (serial) => bySerial.get(serial.toUpperCase()),

    async start() {
      await Promise.all(
        cameras.map(
          (camera) =>
            new Promise<void>((resolve, reject) => {
              const delayMs = startSpreadMs > 0 ? Math.floor(random() * startSpreadMs) : 0;
              const timer = setTimeout(() => {
                pendingStarts.delete(timer);
                camera.start().then(resolve, reject);
              }, delayMs);
              pendingStarts.set(timer, resolve); // stop() before the timer fires: settle start() without booting
            }),
        ),
      );
    },

    async stop() {
      for (const [timer, settle] of pendingStarts) {
        clearTimeout(timer);
        settle();
      }
      pendingStarts.clear();
      await Promise.all(cameras.map((camera) => camera.stop()));
    },

    summary() {
      const byState = Object.fromEntries(cameraStates.map((s) => [s, 0])) as Record<CameraState, number>;
      let claimed = 0;
      for (const camera of cameras) {
        const snapshot = camera.snapshot();
        byState[snapshot.state] += 1;
        if (snapshot.claimed) claimed += 1;
      }
      return { total: cameras.length, claimed, online: byState.online, refused: byState.refused, byState };
    },
  };
}
