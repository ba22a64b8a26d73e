// The credential store over the project's database (Prisma): what the broker's index is loaded from.
import type { Database } from "../../core/database.ts";
import type { ClaimState, DeviceCredentialLookup } from "./credential-index.ts";

export function databaseCredentialStore(db: Database): DeviceCredentialLookup {
  return {
    async findDeviceCredential(deviceId) {
      const row = await db.device.findUnique({
        where: { id: deviceId },
        select: { credentialHash: true, claimState: true },
      });
      return row && { credentialHash: row.credentialHash, claimState: row.claimState as ClaimState };
    },
    async listDeviceCredentials() {
      const rows = await db.device.findMany({
        where: { claimState: "claimed", credentialHash: { not: null } },
        select: { id: true, credentialHash: true },
      });
      return rows.map((row) => ({ deviceId: row.id, credentialHash: row.credentialHash! }));
    },
    async replaceCredentialHash(deviceId, from, to) {
      const { count } = await db.device.updateMany({
        where: { id: deviceId, claimState: "claimed", credentialHash: from },
        data: { credentialHash: to },
      });
      return count === 1;
    },
  };
}
