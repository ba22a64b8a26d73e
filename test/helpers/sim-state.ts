// Cameras the fault tests provision straight into the database are handed to the simulator as state files,
// exactly as a camera keeps its credentials after a claim (device-client/src/credentials-store.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ProvisionedCamera {
  serial: string;
  deviceId: string;
  password: string;
}

export function writeSimulatorState(
  stateDir: string,
  cameras: ProvisionedCamera[],
  settings: { mqttUrl: string; heartbeatIntervalS: number; keepaliveS: number },
): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  for (const c of cameras) {
    const credentials = { deviceId: c.deviceId, mqttUsername: c.deviceId, mqttPassword: c.password, ...settings };
    const state = {
      serial: c.serial,
      claimCode: "UNUSEDCO",
      firmware: "1.4.2",
      privacy: false,
      claimedAt: new Date().toISOString(),
      credentials,
    };
    writeFileSync(join(stateDir, `${c.serial}.json`), JSON.stringify(state), { mode: 0o600 });
  }
}
