-- AlterTable
ALTER TABLE "Device" ADD COLUMN "cameraHealth" TEXT;
ALTER TABLE "Device" ADD COLUMN "cameraHealthDetail" TEXT;
ALTER TABLE "Device" ADD COLUMN "cameraHealthSince" DATETIME;
ALTER TABLE "Device" ADD COLUMN "talkback" BOOLEAN;

