// Every device credential hash this broker may need, in memory: a CONNECT is a map lookup and one HMAC,
// never a database round trip. Loaded at start; a revocation or re-arm removes the device here and on every
// broker of a cluster at once (the control topic, see broker.ts); a new claim is read from the database on
// the device's first CONNECT (a miss); a periodic full reload catches anything a broker missed while it
// was cut off from Redis.

export type ClaimState = "registered" | "claimed" | "revoked";

export interface DeviceCredentialRecord {
  /** A core/device-credentials.ts HMAC hash, or an older scrypt hash that is replaced on the next CONNECT. */
  credentialHash: string | null;
  claimState: ClaimState;
}

/** Where the credentials live (the database, in production). */
export interface DeviceCredentialLookup {
  /** null when the device is unknown. */
  findDeviceCredential(deviceId: string): Promise<DeviceCredentialRecord | null>;
  /** Every device that may connect now: claimed, with a credential. */
  listDeviceCredentials(): Promise<Array<{ deviceId: string; credentialHash: string }>>;
  /** Replaces the hash only while it is still `from`; false when it changed meanwhile (revoked, re-claimed). */
  replaceCredentialHash(deviceId: string, from: string, to: string): Promise<boolean>;
}

export class CredentialIndex {
  private readonly hashes = new Map<string, string>();
  /** Devices whose current hash this broker has seen a correct password for. */
  private readonly proven = new Set<string>();
  /** Devices changed while a full reload was in flight: the reload's older snapshot must not undo them. */
  private touchedDuringReload: Set<string> | null = null;

  get size(): number {
    return this.hashes.size;
  }

  get(deviceId: string): string | undefined {
    return this.hashes.get(deviceId);
  }

  set(deviceId: string, hash: string): void {
    if (this.hashes.get(deviceId) !== hash) this.proven.delete(deviceId);
    this.hashes.set(deviceId, hash);
    this.touchedDuringReload?.add(deviceId);
  }

  delete(deviceId: string): void {
    this.hashes.delete(deviceId);
    this.proven.delete(deviceId);
    this.touchedDuringReload?.add(deviceId);
  }

  markProven(deviceId: string): void {
    if (this.hashes.has(deviceId)) this.proven.add(deviceId);
  }

  isProven(deviceId: string): boolean {
    return this.proven.has(deviceId);
  }

  /** Replaces the whole index from the store; returns the devices whose credential changed or vanished. */
  async reload(store: DeviceCredentialLookup): Promise<string[]> {
    const touched = new Set<string>();
    this.touchedDuringReload = touched;
    let rows: Awaited<ReturnType<DeviceCredentialLookup["listDeviceCredentials"]>>;
    try {
      rows = await store.listDeviceCredentials();
    } finally {
      this.touchedDuringReload = null;
    }
    const fresh = new Map(rows.map((row) => [row.deviceId, row.credentialHash]));
    const changed: string[] = [];
    for (const [deviceId, hash] of this.hashes) {
      if (touched.has(deviceId) || fresh.get(deviceId) === hash) continue;
      changed.push(deviceId);
      if (fresh.has(deviceId)) this.set(deviceId, fresh.get(deviceId)!);
      else this.delete(deviceId);
    }
    for (const [deviceId, hash] of fresh)
      if (!touched.has(deviceId) && !this.hashes.has(deviceId)) this.hashes.set(deviceId, hash);
    return changed;
  }

  clear(): void {
    this.hashes.clear();
    this.proven.clear();
  }
}
