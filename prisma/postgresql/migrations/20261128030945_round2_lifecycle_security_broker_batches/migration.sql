-- AlterTable
ALTER TABLE "User" ADD COLUMN     "disabledAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "batchId" TEXT,
ADD COLUMN     "boundAt" TIMESTAMP(3),
ADD COLUMN     "boundBy" TEXT;

-- CreateTable
CREATE TABLE "InstallerAssignment" (
    "id" TEXT NOT NULL,
    "installerId" TEXT NOT NULL,
    "village" TEXT,
    "householdId" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InstallerAssignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeviceBatch" (
    "id" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeviceBatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeviceBatchUpload" (
    "id" TEXT NOT NULL,
    "batchId" TEXT NOT NULL,
    "contentSha256" TEXT NOT NULL,
    "report" TEXT NOT NULL,
    "labelsPdf" BYTEA NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeviceBatchUpload_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GatewayRun" (
    "id" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "lastAliveAt" TIMESTAMP(3) NOT NULL,
    "stoppedAt" TIMESTAMP(3),

    CONSTRAINT "GatewayRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ServerKey" (
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ServerKey_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "InstallerAssignment_installerId_idx" ON "InstallerAssignment"("installerId");

-- CreateIndex
CREATE UNIQUE INDEX "DeviceBatch_reference_key" ON "DeviceBatch"("reference");

-- CreateIndex
CREATE UNIQUE INDEX "DeviceBatchUpload_batchId_contentSha256_key" ON "DeviceBatchUpload"("batchId", "contentSha256");

-- CreateIndex
CREATE INDEX "GatewayRun_startedAt_idx" ON "GatewayRun"("startedAt");

-- AddForeignKey
ALTER TABLE "InstallerAssignment" ADD CONSTRAINT "InstallerAssignment_installerId_fkey" FOREIGN KEY ("installerId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "InstallerAssignment" ADD CONSTRAINT "InstallerAssignment_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Device" ADD CONSTRAINT "Device_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "DeviceBatch"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeviceBatchUpload" ADD CONSTRAINT "DeviceBatchUpload_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "DeviceBatch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

