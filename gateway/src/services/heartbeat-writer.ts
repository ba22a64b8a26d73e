// Heartbeats are written behind, in batches: thousands of cameras each report every few seconds,
// and one multi-row statement per flush is what lets a single gateway keep up (row-by-row ORM
// updates manage under a thousand a second on SQLite). Raw SQL here is the one place for it.
import type { Database } from "../../../core/database.ts";
import type { DatabaseProvider } from "../../../core/database-url.ts";
import type { HeartbeatMessage } from "../../../protocol/device-messages.ts";

export interface PendingHeartbeat {
  deviceId: string;
  heartbeat: HeartbeatMessage;
  receivedAt: Date;
}

const SQLITE_ROWS_PER_STATEMENT = 2000; // 8 parameters a row, under SQLite's 32766 parameter limit

export class HeartbeatWriter {
  private pending: PendingHeartbeat[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly provider: DatabaseProvider,
    private readonly flushMs: number,
    private readonly onStored: (batch: PendingHeartbeat[], storedAt: Date) => void,
    private readonly onError: (error: unknown, lost: number) => void,
  ) {}

  add(item: PendingHeartbeat): void {
    this.pending.push(item);
    if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes what is pending now; resolves when it is committed. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await (this.provider === "postgresql" ? this.writePostgres(batch) : this.writeSqlite(batch));
        this.onStored(batch, new Date());
      } catch (error) {
        this.onError(error, batch.length);
      }
    });
    return this.flushing;
  }

  private async writeSqlite(batch: PendingHeartbeat[]): Promise<void> {
    const latest = latestPerDevice(batch);
    const statements = [];
    for (let i = 0; i < batch.length; i += SQLITE_ROWS_PER_STATEMENT) {
      const rows = batch.slice(i, i + SQLITE_ROWS_PER_STATEMENT);
      statements.push(this.db.$executeRawUnsafe(
        `INSERT INTO "TelemetrySample" ("deviceId","at","uptimeS","rssi","temperatureC","firmware","freeStorageMb") VALUES ${rows.map(() => "(?,?,?,?,?,?,?)").join(",")}`,
        ...rows.flatMap(({ deviceId, heartbeat: h, receivedAt }) => [deviceId, receivedAt.toISOString(), h.uptimeS, h.rssi, h.temperatureC, h.firmware, h.freeStorageMb])));
    }
    for (let i = 0; i < latest.length; i += SQLITE_ROWS_PER_STATEMENT) {
      const rows = latest.slice(i, i + SQLITE_ROWS_PER_STATEMENT);
      statements.push(this.db.$executeRawUnsafe(
        `WITH v(id, at, uptimeS, rssi, temperatureC, firmware, freeStorageMb, privacy) AS (VALUES ${rows.map(() => "(?,?,?,?,?,?,?,?)").join(",")})
         UPDATE "Device" SET "lastHeartbeatAt" = v.at, "lastSeenAt" = v.at, "uptimeS" = v.uptimeS, "rssi" = v.rssi, "temperatureC" = v.temperatureC,
           "firmware" = v.firmware, "freeStorageMb" = v.freeStorageMb, "privacy" = v.privacy
         FROM v WHERE "Device"."id" = v.id`,
        ...rows.flatMap(({ deviceId, heartbeat: h, receivedAt }) => [deviceId, receivedAt.toISOString(), h.uptimeS, h.rssi, h.temperatureC, h.firmware, h.freeStorageMb, h.privacy ? 1 : 0])));
    }
    await this.db.$transaction(statements);
  }

  private async writePostgres(batch: PendingHeartbeat[]): Promise<void> {
    const latest = latestPerDevice(batch);
    const columns = (rows: PendingHeartbeat[]) => [
      rows.map((r) => r.deviceId), rows.map((r) => r.receivedAt.toISOString()), rows.map((r) => r.heartbeat.uptimeS),
      rows.map((r) => r.heartbeat.rssi), rows.map((r) => r.heartbeat.temperatureC), rows.map((r) => r.heartbeat.firmware),
      rows.map((r) => r.heartbeat.freeStorageMb),
    ];
    const unnest = `unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::float8[], $6::text[], $7::int[])`;
    await this.db.$transaction([
      this.db.$executeRawUnsafe(
        `INSERT INTO "TelemetrySample" ("deviceId","at","uptimeS","rssi","temperatureC","firmware","freeStorageMb")
         SELECT id, at AT TIME ZONE 'UTC', up, rssi, temp, fw, free FROM ${unnest} AS v(id, at, up, rssi, temp, fw, free)`, ...columns(batch)),
      this.db.$executeRawUnsafe(
        `UPDATE "Device" AS d SET "lastHeartbeatAt" = v.at AT TIME ZONE 'UTC', "lastSeenAt" = v.at AT TIME ZONE 'UTC', "uptimeS" = v.up, "rssi" = v.rssi,
           "temperatureC" = v.temp, "firmware" = v.fw, "freeStorageMb" = v.free, "privacy" = v.privacy
         FROM (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::float8[], $6::text[], $7::int[], $8::boolean[])) AS v(id, at, up, rssi, temp, fw, free, privacy)
         WHERE d.id = v.id`, ...columns(latest), latest.map((r) => r.heartbeat.privacy)),
    ]);
  }

  async stop(): Promise<void> {
    await this.flush();
  }
}

function latestPerDevice(batch: PendingHeartbeat[]): PendingHeartbeat[] {
  const latest = new Map<string, PendingHeartbeat>();
  for (const item of batch) latest.set(item.deviceId, item);
  return [...latest.values()];
}
