-- CreateTable
CREATE TABLE "GatewayRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "startedAt" DATETIME NOT NULL,
    "lastAliveAt" DATETIME NOT NULL,
    "stoppedAt" DATETIME
);

-- CreateIndex
CREATE INDEX "GatewayRun_startedAt_idx" ON "GatewayRun"("startedAt");

