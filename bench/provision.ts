// Puts N claimed cameras straight into the database, each with its own random MQTT password stored as
// core/secrets.ts would store it after a claim: what the fleet looks like after N installs.
import type { Database } from "../core/database.ts";
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

/**
 * scrypt runs on libuv's thread pool, so hashing many at once uses every core; `inFlight` bounds the
 * queue (and the memory of pending promises). The claim codes are never used by the bench: one hash
 * serves them all.
 */
export async function provisionCameras(db: Database, cameras: CameraCredential[], inFlight = 64): Promise<Provisioned> {
  const count = cameras.length;
  const hashStart = performance.now();
  const hashes = new Array<string>(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, async () => {
    while (next < count) {
      const i = next++;
      hashes[i] = await hashSecret(cameras[i]!.password, "device-credential");
    }
  }));
  const claimCodeHash = await hashSecret(randomReadableCode(10), "password");
  const hashMs = performance.now() - hashStart;

  const insertStart = performance.now();
  const claimedAt = new Date();
  for (let i = 0; i < count; i += 1000) {
    await db.device.createMany({
      data: cameras.slice(i, i + 1000).map((c, k) => ({
        id: c.deviceId, serial: `BENCH-${c.deviceId.slice(4).toUpperCase()}`, claimCodeHash, claimState: "claimed",
        credentialHash: hashes[i + k]!, claimedAt, firmware: "1.0.0", label: `bench ${i + k}`,
      })),
    });
  }
  return { cameras, hashMs, insertMs: performance.now() - insertStart };
}
