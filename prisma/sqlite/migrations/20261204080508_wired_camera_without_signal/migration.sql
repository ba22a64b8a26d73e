-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_TelemetrySample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "deviceId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "uptimeS" INTEGER NOT NULL,
    "rssi" INTEGER,
    "temperatureC" REAL NOT NULL,
    "firmware" TEXT NOT NULL,
    "freeStorageMb" INTEGER NOT NULL,
    CONSTRAINT "TelemetrySample_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_TelemetrySample" ("at", "deviceId", "firmware", "freeStorageMb", "id", "rssi", "temperatureC", "uptimeS") SELECT "at", "deviceId", "firmware", "freeStorageMb", "id", "rssi", "temperatureC", "uptimeS" FROM "TelemetrySample";
DROP TABLE "TelemetrySample";
ALTER TABLE "new_TelemetrySample" RENAME TO "TelemetrySample";
CREATE INDEX "TelemetrySample_deviceId_at_idx" ON "TelemetrySample"("deviceId", "at");
CREATE INDEX "TelemetrySample_at_idx" ON "TelemetrySample"("at");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

