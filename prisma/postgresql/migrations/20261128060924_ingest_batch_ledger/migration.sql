-- CreateTable
CREATE TABLE "IngestBatch" (
    "id" TEXT NOT NULL,
    "committedAt" TIMESTAMP(3) NOT NULL,
    "outcome" TEXT NOT NULL,

    CONSTRAINT "IngestBatch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "IngestBatch_committedAt_idx" ON "IngestBatch"("committedAt");

