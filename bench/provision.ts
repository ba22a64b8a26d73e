// Puts N claimed cameras straight into the database, each with its own random MQTT password stored as
// a claim stores it (HMAC under the deployment's key, core/device-credentials.ts): what the fleet looks like after N installs.
import type { Database } from "../core/database.ts";
import { DeviceCredentialHasher, loadDeviceCredentialKey } from "../core/device-credentials.ts";
import { hashSecret, randomId, randomReadableCode, randomToken } from "../core/secrets.ts";
import type { CameraCredential } from "./ipc.ts";

export interface Provisioned {
  cameras: CameraCredential[];
  hashMs: number;
  insertMs: number;
}

/** Distinct camera ids (the device id pattern) with random 24-byte passwords, as a claim hands out. */
export function makeCredentials(count: number): CameraCredential[] {
  const ids = new Set<string>();
  while (ids.size < count) ids.add(randomId("cam_"));
  return [...ids].map((deviceId) => ({ deviceId, password: randomToken(24) }));
}

/** The n-th bench camera's serial, in the printed label's format (firmware-sim checks it). */
export function benchSerial(n: number): string {
  return `WX-BNCH-${n.toString(36).toUpperCase().padStart(6, "0")}`;
}

/** The claim codes are never used by the bench: one (scrypt) hash serves them all. */
export async function provisionCameras(db: Database, cameras: CameraCredential[]): Promise<Provisioned> {
  const count = cameras.length;
  const hashStart = performance.now();
  const hasher = new DeviceCredentialHasher(await loadDeviceCredentialKey(db, undefined));
  const hashes = cameras.map((camera) => hasher.hash(camera.password));
  const claimCodeHash = await hashSecret(randomReadableCode(10), "password");
  const hashMs = performance.now() - hashStart;

  const insertStart = performance.now();
  const claimedAt = new Date();
  for (let i = 0; i < count; i += 1000) {
    await db.device.createMany({
      data: cameras.slice(i, i + 1000).map((c, k) => ({
        id: c.deviceId,
        serial: benchSerial(i + k),
        claimCodeHash,
        claimState: "claimed",
        credentialHash: hashes[i + k]!,
        claimedAt,
        firmware: "1.0.0",
        label: `bench ${i + k}`,
      })),
    });
  }
  return { cameras, hashMs, insertMs: performance.now() - insertStart };
}
