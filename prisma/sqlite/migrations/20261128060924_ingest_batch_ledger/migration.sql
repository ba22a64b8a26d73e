-- CreateTable
CREATE TABLE "IngestBatch" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "committedAt" DATETIME NOT NULL,
    "outcome" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "IngestBatch_committedAt_idx" ON "IngestBatch"("committedAt");

