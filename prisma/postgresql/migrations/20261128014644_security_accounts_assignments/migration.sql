-- AlterTable
ALTER TABLE "User" ADD COLUMN     "disabledAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "boundAt" TIMESTAMP(3),
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

-- CreateIndex
CREATE INDEX "InstallerAssignment_installerId_idx" ON "InstallerAssignment"("installerId");

-- AddForeignKey
ALTER TABLE "InstallerAssignment" ADD CONSTRAINT "InstallerAssignment_installerId_fkey" FOREIGN KEY ("installerId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "InstallerAssignment" ADD CONSTRAINT "InstallerAssignment_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household"("id") ON DELETE CASCADE ON UPDATE CASCADE;

