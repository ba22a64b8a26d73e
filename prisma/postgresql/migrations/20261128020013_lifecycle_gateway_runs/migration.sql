-- CreateTable
CREATE TABLE "GatewayRun" (
    "id" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "lastAliveAt" TIMESTAMP(3) NOT NULL,
    "stoppedAt" TIMESTAMP(3),

    CONSTRAINT "GatewayRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "GatewayRun_startedAt_idx" ON "GatewayRun"("startedAt");

