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
CREATE TABLE "Call" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "householdId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "callerId" TEXT,
    "callerName" TEXT,
    "startedAt" DATETIME NOT NULL,
    "answeredAt" DATETIME,
    "answeredBy" TEXT,
    "answeredByName" TEXT,
    "endedAt" DATETIME,
    CONSTRAINT "Call_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Call_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "PushSubscription" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "p256dh" TEXT NOT NULL,
    "auth" TEXT NOT NULL,
    "deviceName" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME
);

-- CreateTable
CREATE TABLE "GatewaySecret" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
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
CREATE TABLE "new_Household" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "village" TEXT NOT NULL,
    "elderName" TEXT NOT NULL,
    "contactName" TEXT,
    "contactPhone" TEXT NOT NULL,
    "address" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "autoAnswerAfterS" INTEGER,
    "autoAnswerSetBy" TEXT,
    "autoAnswerSetAt" DATETIME,
    "declinePrivacyMin" INTEGER NOT NULL DEFAULT 30
);
INSERT INTO "new_Household" ("address", "contactName", "contactPhone", "createdAt", "elderName", "id", "village") SELECT "address", "contactName", "contactPhone", "createdAt", "elderName", "id", "village" FROM "Household";
DROP TABLE "Household";
ALTER TABLE "new_Household" RENAME TO "Household";
CREATE INDEX "Household_village_idx" ON "Household"("village");
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
CREATE TABLE "new_ViewSession" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "householdId" TEXT,
    "userId" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "endReason" TEXT,
    "talked" BOOLEAN NOT NULL DEFAULT false,
    "startedBy" TEXT NOT NULL DEFAULT 'look-in',
    CONSTRAINT "ViewSession_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ViewSession" ("deviceId", "displayName", "endReason", "endedAt", "householdId", "id", "startedAt", "talked", "userId") SELECT "deviceId", "displayName", "endReason", "endedAt", "householdId", "id", "startedAt", "talked", "userId" FROM "ViewSession";
DROP TABLE "ViewSession";
ALTER TABLE "new_ViewSession" RENAME TO "ViewSession";
CREATE INDEX "ViewSession_deviceId_startedAt_idx" ON "ViewSession"("deviceId", "startedAt");
CREATE INDEX "ViewSession_householdId_startedAt_idx" ON "ViewSession"("householdId", "startedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "InstallerAssignment_installerId_idx" ON "InstallerAssignment"("installerId");

-- CreateIndex
CREATE UNIQUE INDEX "DeviceBatch_reference_key" ON "DeviceBatch"("reference");

-- CreateIndex
CREATE UNIQUE INDEX "DeviceBatchUpload_batchId_contentSha256_key" ON "DeviceBatchUpload"("batchId", "contentSha256");

-- CreateIndex
CREATE INDEX "Call_householdId_startedAt_idx" ON "Call"("householdId", "startedAt");

-- CreateIndex
CREATE INDEX "Call_deviceId_state_idx" ON "Call"("deviceId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "PushSubscription_endpoint_key" ON "PushSubscription"("endpoint");

-- CreateIndex
CREATE INDEX "PushSubscription_userId_idx" ON "PushSubscription"("userId");

-- CreateIndex
CREATE INDEX "GatewayRun_startedAt_idx" ON "GatewayRun"("startedAt");

