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

/** What a device event changes on the device row (privacy-changed, firmware-updated). */
export interface DeviceChange {
  privacy?: boolean;
  firmware?: string;
}

/**
 * A device's row as the messages of one batch leave it, in arrival order: its last heartbeat, with privacy and
 * firmware from whichever came last, that heartbeat or a later event. Events go through this writer (and
 * not straight to the database) so that a heartbeat written behind can never undo a newer event.
 */
interface DeviceRowUpdate {
  deviceId: string;
  heartbeat: PendingHeartbeat | null;
  privacy: boolean | null;
  firmware: string | null;
}

/** Its own connection to the SQLite file (WAL lets it write beside Prisma's), with statements prepared once. */
class SqliteHeartbeatStatements {
  private readonly connection: BetterSqlite3.Database;
  readonly write: (batch: PendingHeartbeat[], rows: DeviceRowUpdate[]) => void;

  constructor(file: string) {
    this.connection = new BetterSqlite3(file);
    this.connection.pragma("journal_mode = WAL");
    this.connection.pragma("busy_timeout = 5000");
    const insert = this.connection.prepare(
      `INSERT INTO "TelemetrySample" ("deviceId","at","uptimeS","rssi","temperatureC","firmware","freeStorageMb") VALUES (?,?,?,?,?,?,?)`,
    );
    const update = this.connection.prepare(
      `UPDATE "Device" SET "lastHeartbeatAt" = ?, "lastSeenAt" = ?, "uptimeS" = ?, "rssi" = ?, "temperatureC" = ?, "firmware" = ?, "freeStorageMb" = ?, "privacy" = ? WHERE "id" = ?`,
    );
    const updateFromEvent = this.connection.prepare(
      `UPDATE "Device" SET "privacy" = COALESCE(?, "privacy"), "firmware" = COALESCE(?, "firmware") WHERE "id" = ?`,
    );
    this.write = this.connection.transaction((batch: PendingHeartbeat[], rows: DeviceRowUpdate[]) => {
      for (const { deviceId, heartbeat: h, receivedAt } of batch) {
        insert.run(deviceId, receivedAt.toISOString(), h.uptimeS, h.rssi, h.temperatureC, h.firmware, h.freeStorageMb);
      }
      for (const { deviceId, heartbeat, privacy, firmware } of rows) {
        if (!heartbeat) {
          updateFromEvent.run(privacy === null ? null : privacy ? 1 : 0, firmware, deviceId);
          continue;
        }
        const { heartbeat: h, receivedAt } = heartbeat;
        const at = receivedAt.toISOString();
        update.run(at, at, h.uptimeS, h.rssi, h.temperatureC, firmware, h.freeStorageMb, privacy ? 1 : 0, deviceId);
      }
    });
  }

  close(): void {
    this.connection.close();
  }
}

export class HeartbeatWriter {
  private pending: PendingHeartbeat[] = [];
  private rows = new Map<string, DeviceRowUpdate>();
  private changesStored: Array<{ resolve(): void; reject(error: unknown): void }> = [];
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
    const row = this.rowOf(item.deviceId);
    Object.assign(row, { heartbeat: item, privacy: item.heartbeat.privacy, firmware: item.heartbeat.firmware });
    this.schedule();
  }

  /** Stores an event's change to the device row after every heartbeat that arrived before it; resolves once committed. */
  applyDeviceChange(deviceId: string, change: DeviceChange): Promise<void> {
    const row = this.rowOf(deviceId);
    if (change.privacy !== undefined) row.privacy = change.privacy;
    if (change.firmware !== undefined) row.firmware = change.firmware;
    this.schedule();
    return new Promise((resolve, reject) => this.changesStored.push({ resolve, reject }));
  }

  /** Writes what is pending now; resolves when it is committed. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    const rows = [...this.rows.values()];
    const waiting = this.changesStored;
    this.pending = [];
    this.rows = new Map();
    this.changesStored = [];
    this.flushing = this.flushing.then(async () => {
      if (rows.length === 0) return;
      try {
        if (this.sqlite) this.sqlite.write(batch, rows);
        else await this.writePostgres(batch, rows);
        if (batch.length > 0) this.onStored(batch, new Date());
        for (const w of waiting) w.resolve();
      } catch (error) {
        this.onError(error, batch.length);
        for (const w of waiting) w.reject(error);
      }
    });
    return this.flushing;
  }

  private rowOf(deviceId: string): DeviceRowUpdate {
    let row = this.rows.get(deviceId);
    if (!row) {
      row = { deviceId, heartbeat: null, privacy: null, firmware: null };
      this.rows.set(deviceId, row);
    }
    return row;
  }

  private schedule(): void {
    if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.flushMs);
  }

  private async writePostgres(batch: PendingHeartbeat[], rows: DeviceRowUpdate[]): Promise<void> {
    const latest = rows
      .filter((r) => r.heartbeat !== null)
      .map((r) => ({
        ...r.heartbeat!,
        heartbeat: { ...r.heartbeat!.heartbeat, privacy: r.privacy!, firmware: r.firmware! },
      }));
    const fromEvents = rows.filter((r) => r.heartbeat === null);
    const columns = (rows: PendingHeartbeat[]) => [
      rows.map((r) => r.deviceId),
      rows.map((r) => r.receivedAt.toISOString()),
      rows.map((r) => r.heartbeat.uptimeS),
      rows.map((r) => r.heartbeat.rssi),
      rows.map((r) => r.heartbeat.temperatureC),
      rows.map((r) => r.heartbeat.firmware),
      rows.map((r) => r.heartbeat.freeStorageMb),
    ];
    const unnest = `unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::float8[], $6::text[], $7::int[])`;
    await this.db.$transaction([
      ...(batch.length === 0
        ? []
        : [
            this.db.$executeRawUnsafe(
              `INSERT INTO "TelemetrySample" ("deviceId","at","uptimeS","rssi","temperatureC","firmware","freeStorageMb")
         SELECT id, at AT TIME ZONE 'UTC', up, rssi, temp, fw, free FROM ${unnest} AS v(id, at, up, rssi, temp, fw, free)`,
              ...columns(batch),
            ),
          ]),
      ...(latest.length === 0
        ? []
        : [
            this.db.$executeRawUnsafe(
              `UPDATE "Device" AS d SET "lastHeartbeatAt" = v.at AT TIME ZONE 'UTC', "lastSeenAt" = v.at AT TIME ZONE 'UTC', "uptimeS" = v.up, "rssi" = v.rssi,
           "temperatureC" = v.temp, "firmware" = v.fw, "freeStorageMb" = v.free, "privacy" = v.privacy
         FROM (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::float8[], $6::text[], $7::int[], $8::boolean[])) AS v(id, at, up, rssi, temp, fw, free, privacy)
         WHERE d.id = v.id`,
              ...columns(latest),
              latest.map((r) => r.heartbeat.privacy),
            ),
          ]),
      ...(fromEvents.length === 0
        ? []
        : [
            this.db.$executeRawUnsafe(
              `UPDATE "Device" AS d SET "privacy" = COALESCE(v.privacy, d."privacy"), "firmware" = COALESCE(v.fw, d."firmware")
         FROM unnest($1::text[], $2::boolean[], $3::text[]) AS v(id, privacy, fw) WHERE d.id = v.id`,
              fromEvents.map((r) => r.deviceId),
              fromEvents.map((r) => r.privacy),
              fromEvents.map((r) => r.firmware),
            ),
          ]),
    ]);
  }

  async stop(): Promise<void> {
    await this.flush();
    this.sqlite?.close();
  }
}
