-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "privacyByElder" BOOLEAN NOT NULL DEFAULT false;

