-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "client" TEXT,
ADD COLUMN     "lastUsedAt" TIMESTAMP(3);

