-- CreateTable
CREATE TABLE "ViewSession" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "householdId" TEXT,
    "userId" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "endReason" TEXT,
    "talked" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "ViewSession_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ViewSession_deviceId_startedAt_idx" ON "ViewSession"("deviceId", "startedAt");

-- CreateIndex
CREATE INDEX "ViewSession_householdId_startedAt_idx" ON "ViewSession"("householdId", "startedAt");

-- AddForeignKey
ALTER TABLE "ViewSession" ADD CONSTRAINT "ViewSession_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

