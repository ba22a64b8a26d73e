-- AlterTable
ALTER TABLE "DeviceBatchUpload" ADD COLUMN "labelsPurgedAt" DATETIME;

-- CreateTable
CREATE TABLE "SiteCheck" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "householdId" TEXT,
    "requestedBy" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'running',
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    "verdict" TEXT,
    "measurements" TEXT,
    "advice" TEXT,
    "error" TEXT,
    CONSTRAINT "SiteCheck_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "SiteCheck_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "SiteCheck_householdId_startedAt_idx" ON "SiteCheck"("householdId", "startedAt");

-- CreateIndex
CREATE INDEX "SiteCheck_deviceId_startedAt_idx" ON "SiteCheck"("deviceId", "startedAt");

