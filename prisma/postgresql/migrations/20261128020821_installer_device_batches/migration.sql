-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "batchId" TEXT;

-- CreateTable
CREATE TABLE "DeviceBatch" (
    "id" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeviceBatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeviceBatchUpload" (
    "id" TEXT NOT NULL,
    "batchId" TEXT NOT NULL,
    "contentSha256" TEXT NOT NULL,
    "report" TEXT NOT NULL,
    "labelsPdf" BYTEA NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeviceBatchUpload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DeviceBatch_reference_key" ON "DeviceBatch"("reference");

-- CreateIndex
CREATE UNIQUE INDEX "DeviceBatchUpload_batchId_contentSha256_key" ON "DeviceBatchUpload"("batchId", "contentSha256");

-- AddForeignKey
ALTER TABLE "Device" ADD CONSTRAINT "Device_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "DeviceBatch"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeviceBatchUpload" ADD CONSTRAINT "DeviceBatchUpload_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "DeviceBatch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

