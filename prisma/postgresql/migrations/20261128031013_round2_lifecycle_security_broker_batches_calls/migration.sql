-- AlterTable
ALTER TABLE "User" ADD COLUMN     "disabledAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Household" ADD COLUMN     "autoAnswerAfterS" INTEGER,
ADD COLUMN     "autoAnswerSetAt" TIMESTAMP(3),
ADD COLUMN     "autoAnswerSetBy" TEXT,
ADD COLUMN     "declinePrivacyMin" INTEGER NOT NULL DEFAULT 30;

-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "batchId" TEXT,
ADD COLUMN     "boundAt" TIMESTAMP(3),
ADD COLUMN     "boundBy" TEXT;

-- AlterTable
ALTER TABLE "ViewSession" ADD COLUMN     "startedBy" TEXT NOT NULL DEFAULT 'look-in';

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
CREATE TABLE "Call" (
    "id" TEXT NOT NULL,
    "householdId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "callerId" TEXT,
    "callerName" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "answeredAt" TIMESTAMP(3),
    "answeredBy" TEXT,
    "answeredByName" TEXT,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "Call_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PushSubscription" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "p256dh" TEXT NOT NULL,
    "auth" TEXT NOT NULL,
    "deviceName" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "PushSubscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GatewaySecret" (
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GatewaySecret_pkey" PRIMARY KEY ("name")
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
CREATE INDEX "Call_householdId_startedAt_idx" ON "Call"("householdId", "startedAt");

-- CreateIndex
CREATE INDEX "Call_deviceId_state_idx" ON "Call"("deviceId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "PushSubscription_endpoint_key" ON "PushSubscription"("endpoint");

-- CreateIndex
CREATE INDEX "PushSubscription_userId_idx" ON "PushSubscription"("userId");

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

-- AddForeignKey
ALTER TABLE "Call" ADD CONSTRAINT "Call_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Call" ADD CONSTRAINT "Call_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

