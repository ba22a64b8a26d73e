-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "cameraHealth" TEXT,
ADD COLUMN     "cameraHealthDetail" TEXT,
ADD COLUMN     "cameraHealthSince" TIMESTAMP(3),
ADD COLUMN     "talkback" BOOLEAN;

