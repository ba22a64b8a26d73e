-- AlterTable
ALTER TABLE "User" ADD COLUMN "phoneVerifiedAt" DATETIME;

-- CreateTable
CREATE TABLE "PhoneCode" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "phone" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "userId" TEXT,
    "createdAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "tries" INTEGER NOT NULL DEFAULT 0,
    "usedAt" DATETIME
);

-- CreateTable
CREATE TABLE "MessageLog" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    "channel" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "phone" TEXT NOT NULL,
    "userId" TEXT,
    "householdId" TEXT,
    "callId" TEXT,
    "state" TEXT NOT NULL,
    "providerMessageId" TEXT,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_HouseholdMember" (
    "householdId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "relation" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "noticeCameraOffline" BOOLEAN NOT NULL DEFAULT true,
    "noticeCameraBack" BOOLEAN NOT NULL DEFAULT true,
    "alertBySms" BOOLEAN NOT NULL DEFAULT true,
    "quietStartMin" INTEGER,
    "quietEndMin" INTEGER,

    PRIMARY KEY ("householdId", "userId"),
    CONSTRAINT "HouseholdMember_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "HouseholdMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_HouseholdMember" ("createdAt", "householdId", "noticeCameraBack", "noticeCameraOffline", "relation", "userId") SELECT "createdAt", "householdId", "noticeCameraBack", "noticeCameraOffline", "relation", "userId" FROM "HouseholdMember";
DROP TABLE "HouseholdMember";
ALTER TABLE "new_HouseholdMember" RENAME TO "HouseholdMember";
CREATE INDEX "HouseholdMember_userId_idx" ON "HouseholdMember"("userId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "PhoneCode_phone_createdAt_idx" ON "PhoneCode"("phone", "createdAt");

-- CreateIndex
CREATE INDEX "PhoneCode_address_createdAt_idx" ON "PhoneCode"("address", "createdAt");

-- CreateIndex
CREATE INDEX "MessageLog_createdAt_idx" ON "MessageLog"("createdAt");

-- CreateIndex
CREATE INDEX "MessageLog_householdId_createdAt_idx" ON "MessageLog"("householdId", "createdAt");

-- CreateIndex
CREATE INDEX "MessageLog_callId_idx" ON "MessageLog"("callId");

-- CreateIndex
CREATE INDEX "MessageLog_providerMessageId_idx" ON "MessageLog"("providerMessageId");

-- CreateIndex
CREATE UNIQUE INDEX "User_phone_key" ON "User"("phone");

