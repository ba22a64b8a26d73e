-- CreateTable
CREATE TABLE "ActivityHour" (
    "deviceId" TEXT NOT NULL,
    "hour" TIMESTAMP(3) NOT NULL,
    "minutes" TEXT NOT NULL,

    CONSTRAINT "ActivityHour_pkey" PRIMARY KEY ("deviceId","hour")
);

-- CreateTable
CREATE TABLE "ActivityDay" (
    "householdId" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "firstActiveMin" INTEGER,
    "lastActiveMin" INTEGER,
    "activeMinutes" INTEGER NOT NULL,
    "coveredMinutes" INTEGER NOT NULL,
    "hourlyActive" TEXT NOT NULL,
    "away" BOOLEAN NOT NULL,

    CONSTRAINT "ActivityDay_pkey" PRIMARY KEY ("householdId","day")
);

-- CreateTable
CREATE TABLE "WellbeingProfile" (
    "householdId" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "startMarginMin" INTEGER NOT NULL DEFAULT 120,
    "quietHours" DOUBLE PRECISION NOT NULL DEFAULT 4,
    "awayUntil" TIMESTAMP(3),
    "activityInPrivacy" BOOLEAN NOT NULL DEFAULT false,
    "activityInPrivacySetBy" TEXT,
    "activityInPrivacySetAt" TIMESTAMP(3),
    "usualStartMin" INTEGER,
    "usualEndMin" INTEGER,
    "usualHourly" TEXT,
    "learnedFromDays" INTEGER NOT NULL DEFAULT 0,
    "learnedOn" TEXT,
    "lastActivityAt" TIMESTAMP(3),
    "lastReportAt" TIMESTAMP(3),

    CONSTRAINT "WellbeingProfile_pkey" PRIMARY KEY ("householdId")
);

-- CreateTable
CREATE TABLE "WellbeingCheck" (
    "id" TEXT NOT NULL,
    "householdId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "raisedAt" TIMESTAMP(3) NOT NULL,
    "quietSince" TIMESTAMP(3) NOT NULL,
    "lastActivityAt" TIMESTAMP(3),
    "escalatedAt" TIMESTAMP(3),
    "escalationReason" TEXT,
    "closedAt" TIMESTAMP(3),
    "closedReason" TEXT,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,

    CONSTRAINT "WellbeingCheck_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WellbeingAck" (
    "id" SERIAL NOT NULL,
    "checkId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "byName" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "answer" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WellbeingAck_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VillageContact" (
    "id" TEXT NOT NULL,
    "village" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VillageContact_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ActivityHour_hour_idx" ON "ActivityHour"("hour");

-- CreateIndex
CREATE INDEX "WellbeingCheck_state_idx" ON "WellbeingCheck"("state");

-- CreateIndex
CREATE INDEX "WellbeingCheck_householdId_raisedAt_idx" ON "WellbeingCheck"("householdId", "raisedAt");

-- CreateIndex
CREATE UNIQUE INDEX "WellbeingCheck_householdId_kind_key_key" ON "WellbeingCheck"("householdId", "kind", "key");

-- CreateIndex
CREATE INDEX "WellbeingAck_checkId_idx" ON "WellbeingAck"("checkId");

-- CreateIndex
CREATE INDEX "VillageContact_userId_idx" ON "VillageContact"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "VillageContact_village_userId_key" ON "VillageContact"("village", "userId");

-- AddForeignKey
ALTER TABLE "ActivityHour" ADD CONSTRAINT "ActivityHour_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WellbeingProfile" ADD CONSTRAINT "WellbeingProfile_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WellbeingCheck" ADD CONSTRAINT "WellbeingCheck_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WellbeingAck" ADD CONSTRAINT "WellbeingAck_checkId_fkey" FOREIGN KEY ("checkId") REFERENCES "WellbeingCheck"("id") ON DELETE CASCADE ON UPDATE CASCADE;

