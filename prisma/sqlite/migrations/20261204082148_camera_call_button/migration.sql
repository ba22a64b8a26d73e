-- AlterTable
ALTER TABLE "Device" ADD COLUMN "callButton" BOOLEAN;

