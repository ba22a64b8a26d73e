-- AlterTable
ALTER TABLE "User" ADD COLUMN "disabledAt" DATETIME;

-- CreateTable
CREATE TABLE "InstallerAssignment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "installerId" TEXT NOT NULL,
    "village" TEXT,
    "householdId" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "InstallerAssignment_installerId_fkey" FOREIGN KEY ("installerId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "InstallerAssignment_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "DeviceBatch" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "reference" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "DeviceBatchUpload" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "batchId" TEXT NOT NULL,
    "contentSha256" TEXT NOT NULL,
    "report" TEXT NOT NULL,
    "labelsPdf" BLOB NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "DeviceBatchUpload_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "DeviceBatch" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "GatewayRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "startedAt" DATETIME NOT NULL,
    "lastAliveAt" DATETIME NOT NULL,
    "stoppedAt" DATETIME
);

-- CreateTable
CREATE TABLE "ServerKey" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

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
INSERT INTO "new_Device" ("claimCodeHash", "claimState", "claimedAt", "connection", "connectionSince", "createdAt", "credentialHash", "firmware", "freeStorageMb", "householdId", "id", "label", "lastHeartbeatAt", "lastSeenAt", "model", "privacy", "revokedAt", "rssi", "serial", "sessionId", "temperatureC", "uptimeS") SELECT "claimCodeHash", "claimState", "claimedAt", "connection", "connectionSince", "createdAt", "credentialHash", "firmware", "freeStorageMb", "householdId", "id", "label", "lastHeartbeatAt", "lastSeenAt", "model", "privacy", "revokedAt", "rssi", "serial", "sessionId", "temperatureC", "uptimeS" FROM "Device";
DROP TABLE "Device";
ALTER TABLE "new_Device" RENAME TO "Device";
CREATE UNIQUE INDEX "Device_serial_key" ON "Device"("serial");
CREATE INDEX "Device_householdId_idx" ON "Device"("householdId");
CREATE INDEX "Device_connection_idx" ON "Device"("connection");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "InstallerAssignment_installerId_idx" ON "InstallerAssignment"("installerId");

-- CreateIndex
CREATE UNIQUE INDEX "DeviceBatch_reference_key" ON "DeviceBatch"("reference");

-- CreateIndex
CREATE UNIQUE INDEX "DeviceBatchUpload_batchId_contentSha256_key" ON "DeviceBatchUpload"("batchId", "contentSha256");

-- CreateIndex
CREATE INDEX "GatewayRun_startedAt_idx" ON "GatewayRun"("startedAt");

