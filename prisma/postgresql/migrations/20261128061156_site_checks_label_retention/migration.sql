-- AlterTable
ALTER TABLE "DeviceBatchUpload" ADD COLUMN     "labelsPurgedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "SiteCheck" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "householdId" TEXT,
    "requestedBy" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'running',
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "verdict" TEXT,
    "measurements" TEXT,
    "advice" TEXT,
    "error" TEXT,

    CONSTRAINT "SiteCheck_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SiteCheck_householdId_startedAt_idx" ON "SiteCheck"("householdId", "startedAt");

-- CreateIndex
CREATE INDEX "SiteCheck_deviceId_startedAt_idx" ON "SiteCheck"("deviceId", "startedAt");

-- AddForeignKey
ALTER TABLE "SiteCheck" ADD CONSTRAINT "SiteCheck_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SiteCheck" ADD CONSTRAINT "SiteCheck_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household"("id") ON DELETE SET NULL ON UPDATE CASCADE;

