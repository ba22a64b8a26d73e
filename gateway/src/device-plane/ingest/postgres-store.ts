// The ingest worker's writes on PostgreSQL: the worker's own node-postgres connection (the driver under
// Prisma's pg adapter), every job in one transaction together with its ledger row; rows go in as arrays
// through unnest(), one statement per table per job, whatever the batch size. Measured on 3,000 heartbeat
// rows: about 9 ms of the worker's CPU and 78 ms wall a job, against 60 ms and 115 ms through Prisma's raw
// queries (interactive transaction), which at 10,000 heartbeats/s took a fifth of a core from the broker.
import pg from "pg";
import { postgresConnection } from "../../../../core/database-url.ts";
import type { DeviceRowWrite, HeartbeatRow, IngestJob, JobOutcome } from "./protocol.ts";
import { planTransitions, type ConnectionRow, type TransitionPlan } from "./transitions.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (d: Date | null) => d?.toISOString() ?? null;
const heartbeatColumns = (rows: HeartbeatRow[]) => [
  rows.map((r) => r.deviceId),
  rows.map((r) => iso(r.atMs)),
  rows.map((r) => r.uptimeS),
  rows.map((r) => r.rssi),
  rows.map((r) => r.temperatureC),
  rows.map((r) => r.firmware),
  rows.map((r) => r.freeStorageMb),
];
const heartbeatUnnest = `unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::float8[], $6::text[], $7::int[])`;

// Prisma's DateTime columns are `timestamp(3)` holding UTC: written with AT TIME ZONE 'UTC' from timestamptz,
// read back the same way so that node-postgres parses them as instants whatever the machine's time zone.
const sql = {
  readLedger: `SELECT "outcome" FROM "IngestBatch" WHERE "id" = $1`,
  insertLedger: `INSERT INTO "IngestBatch" ("id","committedAt","outcome") VALUES ($1, $2::timestamptz AT TIME ZONE 'UTC', $3)`,
  pruneLedger: `DELETE FROM "IngestBatch" WHERE "committedAt" < $1::timestamptz AT TIME ZONE 'UTC'`,
  insertSamples: `INSERT INTO "TelemetrySample" ("deviceId","at","uptimeS","rssi","temperatureC","firmware","freeStorageMb")
     SELECT id, at AT TIME ZONE 'UTC', up, rssi, temp, fw, free FROM ${heartbeatUnnest} AS v(id, at, up, rssi, temp, fw, free)`,
  updateFromHeartbeats: `UPDATE "Device" AS d SET "lastHeartbeatAt" = v.at AT TIME ZONE 'UTC', "lastSeenAt" = v.at AT TIME ZONE 'UTC',
       "uptimeS" = v.up, "rssi" = v.rssi, "temperatureC" = v.temp, "firmware" = COALESCE(v.rowfw, v.fw),
       "freeStorageMb" = v.free, "privacy" = COALESCE(v.privacy, d."privacy")
     FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::float8[], $6::text[], $7::int[], $8::boolean[], $9::text[])
       AS v(id, at, up, rssi, temp, fw, free, privacy, rowfw)
     WHERE d.id = v.id`,
  updateFromEvents: `UPDATE "Device" AS d SET "privacy" = COALESCE(v.privacy, d."privacy"), "firmware" = COALESCE(v.fw, d."firmware")
     FROM unnest($1::text[], $2::boolean[], $3::text[]) AS v(id, privacy, fw) WHERE d.id = v.id`,
  readConnections: `SELECT d."id", d."connection", d."connectionSince" AT TIME ZONE 'UTC' AS "connectionSince", d."sessionId",
       d."lastSeenAt" AT TIME ZONE 'UTC' AS "lastSeenAt", d."firmware", d."householdId", d."claimState", h."village"
     FROM "Device" d LEFT JOIN "Household" h ON h."id" = d."householdId" WHERE d."id" = ANY($1::text[])`,
  updateConnections: `UPDATE "Device" AS d SET "connection" = v.connection, "connectionSince" = v.since AT TIME ZONE 'UTC',
       "sessionId" = v.session, "lastSeenAt" = v.seen AT TIME ZONE 'UTC', "firmware" = v.firmware
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::text[])
       AS v(id, connection, since, session, seen, firmware)
     WHERE d.id = v.id`,
  insertStatusChanges: `INSERT INTO "DeviceStatusChange" ("deviceId","state","reason","at")
     SELECT id, state, reason, at AT TIME ZONE 'UTC' FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS v(id, state, reason, at)`,
};

type Connection = pg.Client;

/**
 * How the worker's connection shows in pg_stat_activity: with the schema when the URL names one, so that
 * deployments (or test runs) sharing a database can be told apart. PostgreSQL keeps 63 bytes of it.
 */
export function ingestApplicationName(schema?: string): string {
  return schema ? `wangxiang-ingest:${schema}`.slice(0, 63) : "wangxiang-ingest";
}

export class PostgresIngestStore {
  private readonly config: pg.ClientConfig;
  private connection: Promise<Connection> | null = null;

  constructor(databaseUrl: string) {
    const { connectionString, options, schema } = postgresConnection(databaseUrl);
    this.config = {
      connectionString,
      application_name: ingestApplicationName(schema),
      ...(options ? { options } : {}),
    };
  }

  /**
   * A job that met a broken connection (the server restarted, a failover, an idle cut) is tried once more on a
   * new one: the ledger makes that safe even when the first attempt's COMMIT went through unanswered.
   */
  async write(job: IngestJob): Promise<JobOutcome> {
    const db = await this.connected();
    try {
      return await this.writeOn(db, job);
    } catch (error) {
      if (this.connection !== null) throw error; // the connection is fine: the job itself failed
      return this.writeOn(await this.connected(), job);
    }
  }

  private async writeOn(db: Connection, job: IngestJob): Promise<JobOutcome> {
    try {
      await db.query("BEGIN");
      const outcome = await writeInTransaction(db, job);
      await db.query("COMMIT");
      return outcome;
    } catch (error) {
      await db.query("ROLLBACK").catch(() => this.forget(db));
      throw error;
    }
  }

  async pruneLedger(olderThanMs: number): Promise<void> {
    await (await this.connected()).query(sql.pruneLedger, [iso(Date.now() - olderThanMs)]);
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (connection) await (await connection).end();
  }

  /** One connection, opened on first use and again after it broke. */
  private connected(): Promise<Connection> {
    this.connection ??= this.open();
    return this.connection;
  }

  private async open(): Promise<Connection> {
    const db = new pg.Client(this.config);
    db.on("error", () => this.forget(db));
    try {
      await db.connect();
      return db;
    } catch (error) {
      this.connection = null;
      throw error;
    }
  }

  private forget(db: Connection): void {
    this.connection = null;
    db.end().catch(() => undefined);
  }
}

async function writeInTransaction(db: Connection, job: IngestJob): Promise<JobOutcome> {
  const stored = await db.query<{ outcome: string }>(sql.readLedger, [job.id]);
  if (stored.rows[0]) return { ...(JSON.parse(stored.rows[0].outcome) as JobOutcome), replayed: true };
  if (job.heartbeats.length > 0) await db.query(sql.insertSamples, heartbeatColumns(job.heartbeats));
  await updateDeviceRows(db, job.deviceRows);
  const outcome = await applyStatuses(db, job);
  await db.query(sql.insertLedger, [job.id, iso(outcome.committedAtMs), JSON.stringify(outcome)]);
  return outcome;
}

async function updateDeviceRows(db: Connection, rows: DeviceRowWrite[]): Promise<void> {
  const latest = rows.filter((r) => r.heartbeat !== null);
  const fromEvents = rows.filter((r) => r.heartbeat === null);
  if (latest.length > 0)
    await db.query(sql.updateFromHeartbeats, [
      ...heartbeatColumns(latest.map((r) => r.heartbeat!)),
      latest.map((r) => r.privacy),
      latest.map((r) => r.firmware),
    ]);
  if (fromEvents.length > 0)
    await db.query(sql.updateFromEvents, [
      fromEvents.map((r) => r.deviceId),
      fromEvents.map((r) => r.privacy),
      fromEvents.map((r) => r.firmware),
    ]);
}

async function applyStatuses(db: Connection, job: IngestJob): Promise<JobOutcome> {
  const committedAtMs = Date.now();
  if (job.statuses.length === 0) return { transitions: [], connections: [], committedAtMs, replayed: false };
  const plan = planTransitions(await readConnections(db, job), job.statuses);
  await updateConnections(db, plan);
  const { transitions } = plan;
  if (transitions.length > 0)
    await db.query(sql.insertStatusChanges, [
      transitions.map((t) => t.deviceId),
      transitions.map((t) => t.state),
      transitions.map((t) => t.reason),
      transitions.map((t) => iso(t.atMs)),
    ]);
  return { transitions, connections: plan.connections, committedAtMs, replayed: false };
}

type StoredConnection = Omit<ConnectionRow, "connectionSince" | "lastSeenAt"> & {
  connectionSince: Date | null;
  lastSeenAt: Date | null;
};

async function readConnections(db: Connection, job: IngestJob): Promise<ConnectionRow[]> {
  const ids = [...new Set(job.statuses.map((s) => s.deviceId))];
  const { rows } = await db.query<StoredConnection>(sql.readConnections, [ids]);
  return rows.map((d) => ({
    ...d,
    connectionSince: isoOrNull(d.connectionSince),
    lastSeenAt: isoOrNull(d.lastSeenAt),
  }));
}

async function updateConnections(db: Connection, { changedRows }: TransitionPlan): Promise<void> {
  if (changedRows.length === 0) return;
  await db.query(sql.updateConnections, [
    changedRows.map((d) => d.id),
    changedRows.map((d) => d.connection),
    changedRows.map((d) => d.connectionSince),
    changedRows.map((d) => d.sessionId),
    changedRows.map((d) => d.lastSeenAt),
    changedRows.map((d) => d.firmware),
  ]);
}
