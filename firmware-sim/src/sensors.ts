// What the camera's radio and thermistor would report. Each camera gets its own base signal strength and
// temperature from its serial (a camera behind a mud-brick wall stays weak), then values wander slowly
// around that base, the way real readings do, instead of jumping randomly each heartbeat.
import { createHash } from "node:crypto";

export interface SensorReadings {
  rssi: number;
  temperatureC: number;
  freeStorageMb: number;
}

export interface SensorModel {
  readonly rssiBase: number;
  read(now?: number): SensorReadings;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export function createSensorModel(options: { seed: string; random?: () => number }): SensorModel {
  const random = options.random ?? Math.random;
  const hash = createHash("sha256").update(options.seed).digest();
  const rssiBase = -55 - (hash[0]! % 30); // -55 … -84 dBm
  const temperatureBase = 36 + (hash[1]! % 10); // 36 … 45 °C inside the housing
  const storageCapacityMb = 8_000 + (hash[2]! % 4) * 8_000; // 8, 16, 24 or 32 GB card
  let rssi = rssiBase;
  let temperature = temperatureBase;
  let freeStorageMb = Math.round(storageCapacityMb * (0.2 + (hash[3]! / 255) * 0.5));

  return {
    rssiBase,
    read(now = Date.now()) {
      // Mean-reverting random walk: drifts a few dB, pulled back toward the base.
      rssi = clamp(rssi + (rssiBase - rssi) * 0.25 + (random() - 0.5) * 6, -110, -35);
      // Day/night swing of a few degrees, plus a little noise, kept in the 30–55 °C band.
      const dayPhase = ((now / 3_600_000) % 24) / 24;
      const target = temperatureBase + 6 * Math.sin(2 * Math.PI * dayPhase);
      temperature = clamp(temperature + (target - temperature) * 0.1 + (random() - 0.5) * 0.4, 30, 55);
      // Loop recording: the card slowly fills, and old clips are deleted once it is nearly full.
      freeStorageMb -= Math.floor(random() * 4);
      if (freeStorageMb < storageCapacityMb * 0.05) freeStorageMb = Math.round(storageCapacityMb * 0.3);
      return {
        rssi: Math.round(rssi),
        temperatureC: Math.round(temperature * 10) / 10,
        freeStorageMb: Math.max(0, freeStorageMb),
      };
    },
  };
}
