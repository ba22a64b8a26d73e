-- AlterTable
ALTER TABLE "User" ADD COLUMN "disabledAt" DATETIME;

-- AlterTable
ALTER TABLE "Device" ADD COLUMN "boundAt" DATETIME;
ALTER TABLE "Device" ADD COLUMN "boundBy" TEXT;

-- CreateTable
CREATE TABLE "InstallerAssignment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "installerId" TEXT NOT NULL,
    "village" TEXT,
    "householdId" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "InstallerAssignment_installerId_fkey" FOREIGN KEY ("installerId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "InstallerAssignment_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "InstallerAssignment_installerId_idx" ON "InstallerAssignment"("installerId");

