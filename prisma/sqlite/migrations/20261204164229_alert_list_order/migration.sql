-- DropIndex
DROP INDEX "Alert_resolvedAt_idx";

-- CreateIndex
CREATE INDEX "Alert_resolvedAt_raisedAt_idx" ON "Alert"("resolvedAt", "raisedAt");

