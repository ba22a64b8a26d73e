-- CreateTable
CREATE TABLE "ViewSession" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "householdId" TEXT,
    "userId" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "endReason" TEXT,
    "talked" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "ViewSession_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "ViewSession_deviceId_startedAt_idx" ON "ViewSession"("deviceId", "startedAt");

-- CreateIndex
CREATE INDEX "ViewSession_householdId_startedAt_idx" ON "ViewSession"("householdId", "startedAt");

