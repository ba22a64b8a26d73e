-- AlterTable
ALTER TABLE "TelemetrySample" ALTER COLUMN "rssi" DROP NOT NULL;

