// The fleet's reads. The staff device list and a family member's cameras (the hottest reads of the API) run on the
// database driver (core/sql-reader.ts) as one SQL text for SQLite and PostgreSQL; the same list through Prisma
// serves the search box (its `contains` semantics differ per provider) and is what the driver's rows are tested
// against (fleet-store.test.ts).
import type { Database, Prisma } from "../../../core/database.ts";
import { sqlBoolean, sqlCount, sqlDate, sqlTime, type SqlReader } from "../../../core/sql-reader.ts";
import { downtimeBetweenRuns } from "./gateway-runs.ts";
import { uptimeWindows, type Interval, type Transition } from "./uptime.ts";
import { deviceViewSelect, type DeviceRow } from "../http/views.ts";

export interface DeviceListFilter {
  householdId?: string;
  village?: string;
  connection?: "unknown" | "online" | "offline";
  claimState?: "registered" | "claimed" | "revoked";
  /** A family member's id: only the cameras of their households. */
  memberId?: string;
}

export type DeviceListSort = "serial" | "offline-longest" | "last-seen";

export interface DevicePageRequest {
  filter: DeviceListFilter;
  sort: DeviceListSort;
  offset: number;
  limit: number;
}

function deviceListWhere(filter: DeviceListFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const where = (clause: string, value: unknown) => {
    clauses.push(clause);
    params.push(value);
  };
  if (filter.householdId) where(`d."householdId" = ?`, filter.householdId);
  if (filter.village) where(`h."village" = ?`, filter.village);
  if (filter.connection) where(`d."connection" = ?`, filter.connection);
  if (filter.claimState) where(`d."claimState" = ?`, filter.claimState);
  if (filter.memberId)
    where(`d."householdId" IN (SELECT m."householdId" FROM "HouseholdMember" m WHERE m."userId" = ?)`, filter.memberId);
  return { sql: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

// Ties broken by id where the sort key repeats, as the Prisma order does; NULLs fall where each database puts them
// (as with Prisma, which adds no NULLS FIRST/LAST).
const deviceListOrder: Record<DeviceListSort, string> = {
  serial: `d."serial" ASC`,
  "offline-longest": `d."connectionSince" ASC, d."id" ASC`,
  "last-seen": `d."lastSeenAt" DESC, d."id" ASC`,
};

const deviceColumns = `d."id", d."serial", d."claimState", d."householdId", d."label", d."model", d."firmware",
  d."connection", d."connectionSince", d."privacy", d."privacyByElder", d."privacyUntil", d."lastSeenAt",
  d."lastHeartbeatAt", d."rssi", d."temperatureC", d."uptimeS", d."freeStorageMb", d."cameraHealth",
  d."cameraHealthDetail", d."cameraHealthSince", d."talkback", d."callButton", h."village", h."elderName"`;

/** A row of `deviceColumns` as the driver gives it (an array: see SqlReader.tuples), in the same order. */
type DeviceTuple = [
  id: string,
  serial: string,
  claimState: string,
  householdId: string | null,
  label: string | null,
  model: string,
  firmware: string | null,
  connection: string,
  connectionSince: unknown,
  privacy: unknown,
  privacyByElder: unknown,
  privacyUntil: unknown,
  lastSeenAt: unknown,
  lastHeartbeatAt: unknown,
  rssi: number | null,
  temperatureC: number | null,
  uptimeS: number | null,
  freeStorageMb: number | null,
  cameraHealth: string | null,
  cameraHealthDetail: string | null,
  cameraHealthSince: unknown,
  talkback: unknown,
  callButton: unknown,
  village: string | null,
  elderName: string | null,
];

function toDeviceRow(row: DeviceTuple): DeviceRow {
  const [
    id,
    serial,
    claimState,
    householdId,
    label,
    model,
    firmware,
    connection,
    connectionSince,
    privacy,
    privacyByElder,
    privacyUntil,
    lastSeenAt,
    lastHeartbeatAt,
    rssi,
    temperatureC,
    uptimeS,
    freeStorageMb,
    cameraHealth,
    cameraHealthDetail,
    cameraHealthSince,
    talkback,
    callButton,
    village,
    elderName,
  ] = row;
  return {
    id,
    serial,
    claimState,
    householdId,
    label,
    model,
    firmware,
    connection,
    connectionSince: sqlDate(connectionSince),
    privacy: sqlBoolean(privacy),
    privacyByElder: sqlBoolean(privacyByElder),
    privacyUntil: sqlDate(privacyUntil),
    lastSeenAt: sqlDate(lastSeenAt),
    lastHeartbeatAt: sqlDate(lastHeartbeatAt),
    rssi,
    temperatureC,
    uptimeS,
    freeStorageMb,
    cameraHealth,
    cameraHealthDetail,
    cameraHealthSince: sqlDate(cameraHealthSince),
    talkback: talkback === null ? null : sqlBoolean(talkback),
    callButton: callButton === null ? null : sqlBoolean(callButton),
    household: village === null || elderName === null ? null : { village, elderName },
  };
}

/** One page of the device list, on the driver. */
export async function readDevicePage(reads: SqlReader, request: DevicePageRequest): Promise<DeviceRow[]> {
  const where = deviceListWhere(request.filter);
  const rows = await reads.tuples<DeviceTuple>(
    `SELECT ${deviceColumns} FROM "Device" d LEFT JOIN "Household" h ON h."id" = d."householdId"
     ${where.sql} ORDER BY ${deviceListOrder[request.sort]} LIMIT ? OFFSET ?`,
    [...where.params, request.limit, request.offset],
  );
  return rows.map(toDeviceRow);
}

/** How many cameras the filter matches, on the driver (the household join only when the village is asked for). */
export async function countDevices(reads: SqlReader, filter: DeviceListFilter): Promise<number> {
  const where = deviceListWhere(filter);
  const join = filter.village ? `JOIN "Household" h ON h."id" = d."householdId"` : "";
  const [row] = await reads.all<{ n: unknown }>(
    `SELECT COUNT(*) AS "n" FROM "Device" d ${join} ${where.sql}`,
    where.params,
  );
  return sqlCount(row?.n ?? 0);
}

/** One camera and how many of its alerts are open, on the driver; null when there is no such camera. */
export async function readDeviceWithAlerts(
  reads: SqlReader,
  deviceId: string,
): Promise<(DeviceRow & { openAlerts: number }) | null> {
  const [row] = await reads.tuples<[openAlerts: unknown, ...device: DeviceTuple]>(
    `SELECT (SELECT COUNT(*) FROM "Alert" a WHERE a."deviceId" = d."id" AND a."resolvedAt" IS NULL) AS "openAlerts",
       ${deviceColumns}
     FROM "Device" d LEFT JOIN "Household" h ON h."id" = d."householdId" WHERE d."id" = ?`,
    [deviceId],
  );
  if (!row) return null;
  const [openAlerts, ...device] = row;
  return { ...toDeviceRow(device), openAlerts: sqlCount(openAlerts) };
}

export interface UptimeInputs {
  /** The transitions of the last 30 days, oldest first. */
  inside: Transition[];
  /** The last transition before them. */
  before: Transition | null;
  /** When no gateway was running (gateway-runs.ts). */
  downtime: Interval[];
}

type TransitionSqlRow = { state: string; at: unknown };
type RunSqlRow = { startedAt: unknown; lastAliveAt: unknown; stoppedAt: unknown };

const uptimeSql = {
  inside: `SELECT "state", "at" FROM "DeviceStatusChange" WHERE "deviceId" = ? AND "at" >= ? AND "at" <= ? ORDER BY "at" ASC, "id" ASC`,
  before: `SELECT "state", "at" FROM "DeviceStatusChange" WHERE "deviceId" = ? AND "at" < ? ORDER BY "at" DESC, "id" DESC LIMIT 1`,
  runBefore: `SELECT "startedAt", "lastAliveAt", "stoppedAt" FROM "GatewayRun" WHERE "startedAt" < ? ORDER BY "startedAt" DESC LIMIT 1`,
  runsWithin: `SELECT "startedAt", "lastAliveAt", "stoppedAt" FROM "GatewayRun" WHERE "startedAt" >= ? AND "startedAt" <= ? ORDER BY "startedAt" ASC`,
};

/** What a camera's uptime over 30 days is computed from (fleet-service.ts `uptimeOver`), on the driver. */
export async function readUptimeInputs(reads: SqlReader, deviceId: string, now: Date): Promise<UptimeInputs> {
  const from30 = new Date(now.getTime() - uptimeWindows.d30);
  const [from, to] = [sqlTime(reads, from30), sqlTime(reads, now)];
  const [inside, before, runBefore, runsWithin] = await Promise.all([
    reads.all<TransitionSqlRow>(uptimeSql.inside, [deviceId, from, to]),
    reads.all<TransitionSqlRow>(uptimeSql.before, [deviceId, from]),
    reads.all<RunSqlRow>(uptimeSql.runBefore, [from]),
    reads.all<RunSqlRow>(uptimeSql.runsWithin, [from, to]),
  ]);
  const transition = (t: TransitionSqlRow) => ({ state: t.state, at: sqlDate(t.at)! }) as Transition;
  const run = (r: RunSqlRow) => ({
    startedAt: sqlDate(r.startedAt)!,
    lastAliveAt: sqlDate(r.lastAliveAt)!,
    stoppedAt: sqlDate(r.stoppedAt),
  });
  return {
    inside: inside.map(transition),
    before: before[0] ? transition(before[0]) : null,
    downtime: downtimeBetweenRuns([...runBefore, ...runsWithin].map(run), from30, now),
  };
}

/** A search box's words: the serial, the place's name, the elder's name, the village or the contact number. */
function searchTerms(text: string): Prisma.DeviceWhereInput[] {
  const q = text.trim();
  return [
    { serial: { contains: q.toUpperCase() } },
    { label: { contains: q } },
    { household: { elderName: { contains: q } } },
    { household: { village: { contains: q } } },
    { household: { contactPhone: { contains: q } } },
    { householdId: q },
  ];
}

function prismaWhere(db: Database, filter: DeviceListFilter, search: string | undefined) {
  return async (): Promise<Prisma.DeviceWhereInput> => {
    const where: Prisma.DeviceWhereInput = {};
    if (filter.householdId) where.householdId = filter.householdId;
    if (filter.village) where.household = { village: filter.village };
    if (filter.connection) where.connection = filter.connection;
    if (filter.claimState) where.claimState = filter.claimState;
    if (search) where.OR = searchTerms(search);
    if (filter.memberId) {
      const rows = await db.householdMember.findMany({
        where: { userId: filter.memberId },
        select: { householdId: true },
      });
      where.AND = [{ householdId: { in: rows.map((r) => r.householdId) } }];
    }
    return where;
  };
}

const prismaOrder: Record<DeviceListSort, Prisma.DeviceOrderByWithRelationInput[]> = {
  serial: [{ serial: "asc" }],
  "offline-longest": [{ connectionSince: "asc" }, { id: "asc" }],
  "last-seen": [{ lastSeenAt: "desc" }, { id: "asc" }],
};

/** The device list through Prisma, for a search (`search`) and as the reference for the driver's rows. */
export function prismaDeviceList(db: Database, filter: DeviceListFilter, search?: string) {
  const where = prismaWhere(db, filter, search);
  return {
    async page({ sort, offset, limit }: Omit<DevicePageRequest, "filter">): Promise<DeviceRow[]> {
      return db.device.findMany({
        where: await where(),
        orderBy: prismaOrder[sort],
        skip: offset,
        take: limit,
        select: deviceViewSelect,
      });
    },
    async count(): Promise<number> {
      return db.device.count({ where: await where() });
    },
  };
}
