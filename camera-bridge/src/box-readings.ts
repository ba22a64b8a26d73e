// What the bridge's heartbeats report for each of its cameras: the box's own figures. A wired IP camera has
// no radio, so no signal reading (rssi null: staff see 有线, not a made-up 0 dBm); the temperature is the box's
// SoC (a Pi in a hot attic is worth knowing about), and free storage is the state directory's disk.
import { readFileSync, statfsSync } from "node:fs";

export function boxReadings(stateDir: string): { rssi: null; temperatureC: number; freeStorageMb: number } {
  return { rssi: null, temperatureC: socTemperatureC(), freeStorageMb: freeMb(stateDir) };
}

function socTemperatureC(): number {
  try {
    const milli = Number(readFileSync("/sys/class/thermal/thermal_zone0/temp", "utf8").trim());
    if (Number.isFinite(milli)) return Math.min(125, Math.max(-40, Math.round(milli / 100) / 10));
  } catch {
    // No thermal zone (a VM, a container): 0 °C rather than a made-up figure.
  }
  return 0;
}

function freeMb(dir: string): number {
  try {
    const stats = statfsSync(dir);
    return Math.min(2_147_483_647, Math.floor((stats.bavail * stats.bsize) / 1024 / 1024));
  } catch {
    return 0;
  }
}
