-- AlterTable
ALTER TABLE "Household" ADD COLUMN     "callWindowEndMin" INTEGER,
ADD COLUMN     "callWindowSetAt" TIMESTAMP(3),
ADD COLUMN     "callWindowSetBy" TEXT,
ADD COLUMN     "callWindowStartMin" INTEGER,
ADD COLUMN     "timeZone" TEXT NOT NULL DEFAULT 'Asia/Shanghai';

-- AlterTable
ALTER TABLE "HouseholdMember" ADD COLUMN     "noticeCameraBack" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "noticeCameraOffline" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "privacyUntil" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "Notice" (
    "id" TEXT NOT NULL,
    "householdId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "alertId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Notice_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Notice_householdId_createdAt_idx" ON "Notice"("householdId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Notice_alertId_kind_key" ON "Notice"("alertId", "kind");

-- AddForeignKey
ALTER TABLE "Notice" ADD CONSTRAINT "Notice_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household"("id") ON DELETE CASCADE ON UPDATE CASCADE;

