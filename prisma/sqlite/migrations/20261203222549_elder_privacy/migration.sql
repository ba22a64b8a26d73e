-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Device" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "serial" TEXT NOT NULL,
    "claimCodeHash" TEXT NOT NULL,
    "claimState" TEXT NOT NULL DEFAULT 'registered',
    "credentialHash" TEXT,
    "householdId" TEXT,
    "label" TEXT,
    "model" TEXT NOT NULL DEFAULT 'WX-C1',
    "firmware" TEXT,
    "connection" TEXT NOT NULL DEFAULT 'unknown',
    "connectionSince" DATETIME,
    "sessionId" TEXT,
    "privacy" BOOLEAN NOT NULL DEFAULT false,
    "privacyUntil" DATETIME,
    "privacyByElder" BOOLEAN NOT NULL DEFAULT false,
    "lastSeenAt" DATETIME,
    "lastHeartbeatAt" DATETIME,
    "rssi" INTEGER,
    "temperatureC" REAL,
    "uptimeS" INTEGER,
    "freeStorageMb" INTEGER,
    "claimedAt" DATETIME,
    "revokedAt" DATETIME,
    "boundBy" TEXT,
    "boundAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "batchId" TEXT,
    CONSTRAINT "Device_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Device_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "DeviceBatch" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Device" ("batchId", "boundAt", "boundBy", "claimCodeHash", "claimState", "claimedAt", "connection", "connectionSince", "createdAt", "credentialHash", "firmware", "freeStorageMb", "householdId", "id", "label", "lastHeartbeatAt", "lastSeenAt", "model", "privacy", "privacyUntil", "revokedAt", "rssi", "serial", "sessionId", "temperatureC", "uptimeS") SELECT "batchId", "boundAt", "boundBy", "claimCodeHash", "claimState", "claimedAt", "connection", "connectionSince", "createdAt", "credentialHash", "firmware", "freeStorageMb", "householdId", "id", "label", "lastHeartbeatAt", "lastSeenAt", "model", "privacy", "privacyUntil", "revokedAt", "rssi", "serial", "sessionId", "temperatureC", "uptimeS" FROM "Device";
DROP TABLE "Device";
ALTER TABLE "new_Device" RENAME TO "Device";
CREATE UNIQUE INDEX "Device_serial_key" ON "Device"("serial");
CREATE INDEX "Device_householdId_idx" ON "Device"("householdId");
CREATE INDEX "Device_connection_idx" ON "Device"("connection");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

