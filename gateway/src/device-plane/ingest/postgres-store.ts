// The ingest worker's writes on PostgreSQL: the worker's own Prisma client (pg adapter), every job in one
// interactive transaction together with its ledger row; rows go in as arrays through unnest(), one statement
// per table per job, whatever the batch size.
import { createDatabase, type Database } from "../../../../core/database.ts";
import type { DeviceRowWrite, HeartbeatRow, IngestJob, JobOutcome } from "./protocol.ts";
import { planTransitions, type ConnectionRow, type TransitionPlan } from "./transitions.ts";

type Transaction = Parameters<Parameters<Database["$transaction"]>[0]>[0];

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

export class PostgresIngestStore {
  private readonly db: Database;

  constructor(databaseUrl: string) {
    this.db = createDatabase(databaseUrl);
  }

  async write(job: IngestJob): Promise<JobOutcome> {
    return this.db.$transaction(
      async (tx) => {
        const stored = await tx.ingestBatch.findUnique({ where: { id: job.id }, select: { outcome: true } });
        if (stored) return { ...(JSON.parse(stored.outcome) as JobOutcome), replayed: true };
        await insertSamples(tx, job.heartbeats);
        await updateDeviceRows(tx, job.deviceRows);
        const outcome = await applyStatuses(tx, job);
        const committedAt = new Date(outcome.committedAtMs);
        await tx.ingestBatch.create({ data: { id: job.id, committedAt, outcome: JSON.stringify(outcome) } });
        return outcome;
      },
      { timeout: 30_000, maxWait: 30_000 },
    );
  }

  async pruneLedger(olderThanMs: number): Promise<void> {
    await this.db.ingestBatch.deleteMany({ where: { committedAt: { lt: new Date(Date.now() - olderThanMs) } } });
  }

  close(): Promise<void> {
    return this.db.$disconnect();
  }
}

async function insertSamples(tx: Transaction, rows: HeartbeatRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO "TelemetrySample" ("deviceId","at","uptimeS","rssi","temperatureC","firmware","freeStorageMb")
     SELECT id, at AT TIME ZONE 'UTC', up, rssi, temp, fw, free FROM ${heartbeatUnnest} AS v(id, at, up, rssi, temp, fw, free)`,
    ...heartbeatColumns(rows),
  );
}

async function updateDeviceRows(tx: Transaction, rows: DeviceRowWrite[]): Promise<void> {
  const latest = rows.filter((r) => r.heartbeat !== null);
  const fromEvents = rows.filter((r) => r.heartbeat === null);
  if (latest.length > 0)
    await tx.$executeRawUnsafe(
      `UPDATE "Device" AS d SET "lastHeartbeatAt" = v.at AT TIME ZONE 'UTC', "lastSeenAt" = v.at AT TIME ZONE 'UTC', "uptimeS" = v.up, "rssi" = v.rssi,
         "temperatureC" = v.temp, "firmware" = COALESCE(v.rowfw, v.fw), "freeStorageMb" = v.free, "privacy" = COALESCE(v.privacy, d."privacy")
       FROM (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::float8[], $6::text[], $7::int[], $8::boolean[], $9::text[]))
         AS v(id, at, up, rssi, temp, fw, free, privacy, rowfw)
       WHERE d.id = v.id`,
      ...heartbeatColumns(latest.map((r) => r.heartbeat!)),
      latest.map((r) => r.privacy),
      latest.map((r) => r.firmware),
    );
  if (fromEvents.length > 0)
    await tx.$executeRawUnsafe(
      `UPDATE "Device" AS d SET "privacy" = COALESCE(v.privacy, d."privacy"), "firmware" = COALESCE(v.fw, d."firmware")
       FROM unnest($1::text[], $2::boolean[], $3::text[]) AS v(id, privacy, fw) WHERE d.id = v.id`,
      fromEvents.map((r) => r.deviceId),
      fromEvents.map((r) => r.privacy),
      fromEvents.map((r) => r.firmware),
    );
}

async function applyStatuses(tx: Transaction, job: IngestJob): Promise<JobOutcome> {
  const committedAtMs = Date.now();
  if (job.statuses.length === 0) return { transitions: [], connections: [], committedAtMs, replayed: false };
  const plan = planTransitions(await readConnections(tx, job), job.statuses);
  await updateConnections(tx, plan);
  if (plan.transitions.length > 0)
    await tx.deviceStatusChange.createMany({
      data: plan.transitions.map((t) => ({
        deviceId: t.deviceId,
        state: t.state,
        reason: t.reason,
        at: new Date(t.atMs),
      })),
    });
  return { transitions: plan.transitions, connections: plan.connections, committedAtMs, replayed: false };
}

async function readConnections(tx: Transaction, job: IngestJob): Promise<ConnectionRow[]> {
  const rows = await tx.device.findMany({
    where: { id: { in: [...new Set(job.statuses.map((s) => s.deviceId))] } },
    select: {
      id: true,
      connection: true,
      connectionSince: true,
      sessionId: true,
      lastSeenAt: true,
      firmware: true,
      householdId: true,
      claimState: true,
      household: { select: { village: true } },
    },
  });
  return rows.map(({ household, ...d }) => ({
    ...d,
    connectionSince: isoOrNull(d.connectionSince),
    lastSeenAt: isoOrNull(d.lastSeenAt),
    village: household?.village ?? null,
  }));
}

async function updateConnections(tx: Transaction, { changedRows }: TransitionPlan): Promise<void> {
  if (changedRows.length === 0) return;
  await tx.$executeRawUnsafe(
    `UPDATE "Device" AS d SET "connection" = v.connection, "connectionSince" = v.since AT TIME ZONE 'UTC', "sessionId" = v.session,
       "lastSeenAt" = v.seen AT TIME ZONE 'UTC', "firmware" = v.firmware
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::text[]) AS v(id, connection, since, session, seen, firmware)
     WHERE d.id = v.id`,
    changedRows.map((d) => d.id),
    changedRows.map((d) => d.connection),
    changedRows.map((d) => d.connectionSince),
    changedRows.map((d) => d.sessionId),
    changedRows.map((d) => d.lastSeenAt),
    changedRows.map((d) => d.firmware),
  );
}
