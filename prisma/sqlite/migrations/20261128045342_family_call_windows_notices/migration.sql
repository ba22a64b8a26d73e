-- AlterTable
ALTER TABLE "Device" ADD COLUMN "privacyUntil" DATETIME;

-- CreateTable
CREATE TABLE "Notice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "householdId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "alertId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "Notice_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
    "declinePrivacyMin" INTEGER NOT NULL DEFAULT 30,
    "callWindowStartMin" INTEGER,
    "callWindowEndMin" INTEGER,
    "timeZone" TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    "callWindowSetBy" TEXT,
    "callWindowSetAt" DATETIME
);
INSERT INTO "new_Household" ("address", "autoAnswerAfterS", "autoAnswerSetAt", "autoAnswerSetBy", "contactName", "contactPhone", "createdAt", "declinePrivacyMin", "elderName", "id", "village") SELECT "address", "autoAnswerAfterS", "autoAnswerSetAt", "autoAnswerSetBy", "contactName", "contactPhone", "createdAt", "declinePrivacyMin", "elderName", "id", "village" FROM "Household";
DROP TABLE "Household";
ALTER TABLE "new_Household" RENAME TO "Household";
CREATE INDEX "Household_village_idx" ON "Household"("village");
CREATE TABLE "new_HouseholdMember" (
    "householdId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "relation" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "noticeCameraOffline" BOOLEAN NOT NULL DEFAULT true,
    "noticeCameraBack" BOOLEAN NOT NULL DEFAULT true,

    PRIMARY KEY ("householdId", "userId"),
    CONSTRAINT "HouseholdMember_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "HouseholdMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_HouseholdMember" ("createdAt", "householdId", "relation", "userId") SELECT "createdAt", "householdId", "relation", "userId" FROM "HouseholdMember";
DROP TABLE "HouseholdMember";
ALTER TABLE "new_HouseholdMember" RENAME TO "HouseholdMember";
CREATE INDEX "HouseholdMember_userId_idx" ON "HouseholdMember"("userId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Notice_householdId_createdAt_idx" ON "Notice"("householdId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Notice_alertId_kind_key" ON "Notice"("alertId", "kind");

