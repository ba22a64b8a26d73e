-- AlterTable
ALTER TABLE "Session" ADD COLUMN "client" TEXT;
ALTER TABLE "Session" ADD COLUMN "lastUsedAt" DATETIME;

