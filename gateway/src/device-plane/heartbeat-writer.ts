// Heartbeats are written behind, in batches: thousands of cameras each report every few seconds.
// This is the one hot write path, so it bypasses the ORM: on SQLite, prepared better-sqlite3 statements
// in one transaction per flush (about 4 µs a row, against about 40 µs through Prisma's raw queries and
// over 1 ms through row-by-row ORM updates; see bench/broker-bench.md); on PostgreSQL, one unnest()
// statement per table per flush.
import BetterSqlite3 from "better-sqlite3";
import type { Database } from "../../../core/database.ts";
import type { DatabaseProvider } from "../../../core/database-url.ts";
import type { HeartbeatMessage } from "../../../protocol/device-messages.ts";

export interface PendingHeartbeat {
  deviceId: string;
  heartbeat: HeartbeatMessage;
  receivedAt: Date;
}

/** Its own connection to the SQLite file (WAL lets it write beside Prisma's), with statements prepared once. */
class SqliteHeartbeatStatements {
  private readonly connection: BetterSqlite3.Database;
  readonly write: (batch: PendingHeartbeat[], latest: PendingHeartbeat[]) => void;

  constructor(file: string) {
    this.connection = new BetterSqlite3(file);
    this.connection.pragma("journal_mode = WAL");
    this.connection.pragma("busy_timeout = 5000");
    const insert = this.connection.prepare(
      `INSERT INTO "TelemetrySample" ("deviceId","at","uptimeS","rssi","temperatureC","firmware","freeStorageMb") VALUES (?,?,?,?,?,?,?)`);
    const update = this.connection.prepare(
      `UPDATE "Device" SET "lastHeartbeatAt" = ?, "lastSeenAt" = ?, "uptimeS" = ?, "rssi" = ?, "temperatureC" = ?, "firmware" = ?, "freeStorageMb" = ?, "privacy" = ? WHERE "id" = ?`);
    this.write = this.connection.transaction((batch: PendingHeartbeat[], latest: PendingHeartbeat[]) => {
      for (const { deviceId, heartbeat: h, receivedAt } of batch) {
        insert.run(deviceId, receivedAt.toISOString(), h.uptimeS, h.rssi, h.temperatureC, h.firmware, h.freeStorageMb);
      }
      for (const { deviceId, heartbeat: h, receivedAt } of latest) {
        const at = receivedAt.toISOString();
        update.run(at, at, h.uptimeS, h.rssi, h.temperatureC, h.firmware, h.freeStorageMb, h.privacy ? 1 : 0, deviceId);
      }
    });
  }

  close(): void {
    this.connection.close();
  }
}

export class HeartbeatWriter {
  private pending: PendingHeartbeat[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly sqlite: SqliteHeartbeatStatements | null;

  constructor(
    private readonly db: Database,
    private readonly provider: DatabaseProvider,
    /** The SQLite file, when provider is "sqlite". */
    sqliteFile: string | null,
    private readonly flushMs: number,
    private readonly onStored: (batch: PendingHeartbeat[], storedAt: Date) => void,
    private readonly onError: (error: unknown, lost: number) => void,
  ) {
    this.sqlite = provider === "sqlite" && sqliteFile ? new SqliteHeartbeatStatements(sqliteFile) : null;
  }

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
        if (this.sqlite) this.sqlite.write(batch, latestPerDevice(batch));
        else await this.writePostgres(batch);
        this.onStored(batch, new Date());
      } catch (error) {
        this.onError(error, batch.length);
      }
    });
    return this.flushing;
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
    this.sqlite?.close();
  }
}

function latestPerDevice(batch: PendingHeartbeat[]): PendingHeartbeat[] {
  const latest = new Map<string, PendingHeartbeat>();
  for (const item of batch) latest.set(item.deviceId, item);
  return [...latest.values()];
}
