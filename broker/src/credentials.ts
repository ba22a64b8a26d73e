// Where the broker looks up a camera's credential: the gateway's database, handed in by whoever creates the broker.
export interface DeviceCredentialLookup {
  /** null when the device is unknown. credentialHash is a core/secrets.ts hash (scrypt$...). */
  findDeviceCredential(deviceId: string): Promise<{ credentialHash: string | null; claimState: "registered" | "claimed" | "revoked" } | null>;
}
