-- DropIndex
DROP INDEX "Device_connection_idx";

-- CreateIndex
CREATE INDEX "Device_connection_connectionSince_idx" ON "Device"("connection", "connectionSince");

