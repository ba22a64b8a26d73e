-- CreateTable
CREATE TABLE "ActivityHour" (
    "deviceId" TEXT NOT NULL,
    "hour" DATETIME NOT NULL,
    "minutes" TEXT NOT NULL,

    PRIMARY KEY ("deviceId", "hour"),
    CONSTRAINT "ActivityHour_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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

    PRIMARY KEY ("householdId", "day")
);

-- CreateTable
CREATE TABLE "WellbeingProfile" (
    "householdId" TEXT NOT NULL PRIMARY KEY,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "startMarginMin" INTEGER NOT NULL DEFAULT 120,
    "quietHours" REAL NOT NULL DEFAULT 4,
    "awayUntil" DATETIME,
    "activityInPrivacy" BOOLEAN NOT NULL DEFAULT false,
    "activityInPrivacySetBy" TEXT,
    "activityInPrivacySetAt" DATETIME,
    "usualStartMin" INTEGER,
    "usualEndMin" INTEGER,
    "usualHourly" TEXT,
    "learnedFromDays" INTEGER NOT NULL DEFAULT 0,
    "learnedOn" TEXT,
    "lastActivityAt" DATETIME,
    "lastReportAt" DATETIME,
    CONSTRAINT "WellbeingProfile_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "WellbeingCheck" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "householdId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "dueAt" DATETIME NOT NULL,
    "raisedAt" DATETIME NOT NULL,
    "quietSince" DATETIME NOT NULL,
    "lastActivityAt" DATETIME,
    "escalatedAt" DATETIME,
    "escalationReason" TEXT,
    "closedAt" DATETIME,
    "closedReason" TEXT,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    CONSTRAINT "WellbeingCheck_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "WellbeingAck" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "checkId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "byName" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "answer" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    CONSTRAINT "WellbeingAck_checkId_fkey" FOREIGN KEY ("checkId") REFERENCES "WellbeingCheck" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "VillageContact" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "village" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
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

