-- AlterTable
ALTER TABLE "Household" ADD COLUMN     "autoAnswerAfterS" INTEGER,
ADD COLUMN     "autoAnswerSetAt" TIMESTAMP(3),
ADD COLUMN     "autoAnswerSetBy" TEXT,
ADD COLUMN     "declinePrivacyMin" INTEGER NOT NULL DEFAULT 30;

-- AlterTable
ALTER TABLE "ViewSession" ADD COLUMN     "startedBy" TEXT NOT NULL DEFAULT 'look-in';

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

-- CreateIndex
CREATE INDEX "Call_householdId_startedAt_idx" ON "Call"("householdId", "startedAt");

-- CreateIndex
CREATE INDEX "Call_deviceId_state_idx" ON "Call"("deviceId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "PushSubscription_endpoint_key" ON "PushSubscription"("endpoint");

-- CreateIndex
CREATE INDEX "PushSubscription_userId_idx" ON "PushSubscription"("userId");

-- AddForeignKey
ALTER TABLE "Call" ADD CONSTRAINT "Call_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Call" ADD CONSTRAINT "Call_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

