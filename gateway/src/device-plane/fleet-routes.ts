// Fleet and device health: who is online, by village; one camera's heartbeats, transitions and uptime.
import { notFoundError } from "../../../protocol/errors.ts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Prisma } from "../../../core/database.ts";
import {
  deviceDetailView,
  deviceIdParams,
  deviceListQuery,
  deviceView,
  errorReply,
  fleetSummaryReply,
  heartbeatHistoryQuery,
  heartbeatView,
  page,
  statusChangeView,
} from "../../../protocol/http.ts";
import { assertCanSeeDevice, householdIdsOf } from "../access/access.ts";
import type { Database } from "../../../core/database.ts";
import { decodeCursor, nextCursor, pageTotal } from "../http/pagination.ts";
import { gatewayDowntime } from "./gateway-runs.ts";
import { overlapMs, uptimeFraction, uptimeWindows, type Transition } from "./uptime.ts";
import { deviceViewSelect, toDeviceView } from "../http/views.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply };

export async function deviceUptime(db: Database, deviceId: string, now = new Date()) {
  const result: Record<keyof typeof uptimeWindows, number | null> = { h24: null, d7: null, d30: null };
  const unknownS: Record<keyof typeof uptimeWindows, number> = { h24: 0, d7: 0, d30: 0 };
  const from30 = new Date(now.getTime() - uptimeWindows.d30);
  const inside = (await db.deviceStatusChange.findMany({
    where: { deviceId, at: { gte: from30, lte: now } },
    orderBy: [{ at: "asc" }, { id: "asc" }],
    select: { state: true, at: true },
  })) as Transition[];
  const before = (await db.deviceStatusChange.findFirst({
    where: { deviceId, at: { lt: from30 } },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    select: { state: true, at: true },
  })) as Transition | null;
  const downtime = await gatewayDowntime(db, from30, now);
  for (const key of Object.keys(uptimeWindows) as (keyof typeof uptimeWindows)[]) {
    const from = new Date(now.getTime() - uptimeWindows[key]);
    const within = inside.filter((t) => t.at >= from);
    const earlier = inside.filter((t) => t.at < from);
    const fraction = uptimeFraction(earlier.at(-1) ?? before, within, from, now, downtime);
    result[key] = fraction === null ? null : Math.round(fraction * 100_000) / 100_000;
    unknownS[key] = Math.round(overlapMs(from.getTime(), now.getTime(), downtime) / 1000);
  }
  return { ...result, unknownS };
}

export async function loadDeviceDetail(db: Database, deviceId: string) {
  const device = await db.device.findUnique({ where: { id: deviceId }, select: deviceViewSelect });
  if (!device) throw notFoundError("camera");
  const openAlerts = await db.alert.count({ where: { deviceId, resolvedAt: null } });
  return { ...toDeviceView(device), uptime: await deviceUptime(db, deviceId), openAlerts };
}

type VillageRow = {
  village: string | null;
  total: number;
  online: number;
  offline: number;
  unknown: number;
  neverOnline: number;
};

/**
 * Cameras online/offline, in all and by village (most offline first). In service means claimed, or bound to a
 * home and not claimed yet: a box that never came online is counted as such (`neverOnline`), not left out.
 * One grouped query over the join: reading every household to name the villages cost Prisma ~40 ms at 2,000
 * households.
 */
async function summariseFleet(db: Database) {
  const groups = await db.$queryRaw<{ village: string | null; connection: string; n: bigint | number }[]>`
    SELECT h."village" AS "village", d."connection" AS "connection", COUNT(*) AS "n"
    FROM "Device" d LEFT JOIN "Household" h ON h."id" = d."householdId"
    WHERE d."claimState" = 'claimed' OR (d."claimState" = 'registered' AND d."householdId" IS NOT NULL)
    GROUP BY h."village", d."connection"`;
  const villages = new Map<string | null, VillageRow>();
  const totals = { total: 0, online: 0, offline: 0, unknown: 0, neverOnline: 0 };
  for (const g of groups) {
    const village = g.village || null;
    const row = villages.get(village) ?? { village, total: 0, online: 0, offline: 0, unknown: 0, neverOnline: 0 };
    const n = Number(g.n);
    const state = g.connection === "unknown" ? "neverOnline" : (g.connection as "online" | "offline");
    row.total += n;
    row[state] += n;
    totals.total += n;
    totals[state] += n;
    villages.set(village, row);
  }
  for (const row of [totals, ...villages.values()]) row.unknown = row.neverOnline;
  const openAlerts = await db.alert.count({ where: { resolvedAt: null } });
  return {
    ...totals,
    openAlerts,
    villages: [...villages.values()].sort(
      (a, b) =>
        b.offline + b.neverOnline - (a.offline + a.neverOnline) ||
        (a.village ?? "").localeCompare(b.village ?? "", "zh-CN"),
    ),
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

const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;

export async function fleetPlugin(app: FastifyInstance, { db }: { db: Database }): Promise<void> {
  const r = zodRoutes(app);
  registerFleetRoutes(r, db);
  registerDeviceHistoryRoutes(r, db);
}

function registerFleetRoutes(r: ZodRoutes, db: Database): void {
  r.get(
    "/fleet/summary",
    {
      schema: {
        tags: ["health"],
        summary: "Cameras online/offline, in all and by village",
        response: { 200: fleetSummaryReply, ...errors },
      },
      preHandler: requireRole("staff", "installer"),
    },
    async () => summariseFleet(db),
  );

  r.get(
    "/devices",
    {
      schema: {
        tags: ["health"],
        summary: "Cameras with their health, filtered and paged",
        querystring: deviceListQuery,
        response: { 200: page(deviceView), ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const user = signedIn(request);
      const q = request.query;
      const where: Prisma.DeviceWhereInput = {};
      if (q.householdId) where.householdId = q.householdId;
      if (q.village) where.household = { village: q.village };
      if (q.connection) where.connection = q.connection;
      if (q.claimState) where.claimState = q.claimState;
      if (q.q) where.OR = searchTerms(q.q);
      if (user.role === "family") where.AND = [{ householdId: { in: await householdIdsOf(db, user.id) } }];
      const orderBy: Prisma.DeviceOrderByWithRelationInput[] =
        q.sort === "offline-longest"
          ? [{ connectionSince: "asc" }, { id: "asc" }]
          : q.sort === "last-seen"
            ? [{ lastSeenAt: "desc" }, { id: "asc" }]
            : [{ serial: "asc" }];
      if (q.sort === "offline-longest" && !q.connection) where.connection = "offline";
      const offset = decodeCursor(q.cursor);
      const rows = await db.device.findMany({ where, orderBy, skip: offset, take: q.limit, select: deviceViewSelect });
      const total = await pageTotal(offset, q.limit, rows.length, () => db.device.count({ where }));
      return { items: rows.map(toDeviceView), total, nextCursor: nextCursor(offset, rows.length, total) };
    },
  );
}

function registerDeviceHistoryRoutes(r: ZodRoutes, db: Database): void {
  r.get(
    "/devices/:deviceId",
    {
      schema: {
        tags: ["health"],
        summary: "One camera: health, uptime over 24 h / 7 d / 30 d, open alerts",
        params: deviceIdParams,
        response: { 200: deviceDetailView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      await assertCanSeeDevice(db, signedIn(request), request.params.deviceId);
      return loadDeviceDetail(db, request.params.deviceId);
    },
  );

  r.get(
    "/devices/:deviceId/heartbeats",
    {
      schema: {
        tags: ["health"],
        summary: "Heartbeat history, newest first",
        params: deviceIdParams,
        querystring: heartbeatHistoryQuery,
        response: { 200: z.object({ items: z.array(heartbeatView) }), ...errors },
      },
      preHandler: requireRole("staff", "installer"),
    },
    async (request) => {
      await assertCanSeeDevice(db, signedIn(request), request.params.deviceId);
      const rows = await db.telemetrySample.findMany({
        where: {
          deviceId: request.params.deviceId,
          ...(request.query.since ? { at: { gte: new Date(request.query.since) } } : {}),
        },
        orderBy: { at: "desc" },
        take: request.query.limit,
      });
      return {
        items: rows.map((h) => ({
          at: h.at.toISOString(),
          uptimeS: h.uptimeS,
          rssi: h.rssi,
          temperatureC: h.temperatureC,
          firmware: h.firmware,
          freeStorageMb: h.freeStorageMb,
        })),
      };
    },
  );

  r.get(
    "/devices/:deviceId/status-history",
    {
      schema: {
        tags: ["health"],
        summary: "Online/offline transitions, newest first",
        params: deviceIdParams,
        querystring: heartbeatHistoryQuery,
        response: { 200: z.object({ items: z.array(statusChangeView) }), ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      await assertCanSeeDevice(db, signedIn(request), request.params.deviceId);
      const rows = await db.deviceStatusChange.findMany({
        where: {
          deviceId: request.params.deviceId,
          ...(request.query.since ? { at: { gte: new Date(request.query.since) } } : {}),
        },
        orderBy: [{ at: "desc" }, { id: "desc" }],
        take: request.query.limit,
      });
      return {
        items: rows.map((t) => ({ state: t.state as "online" | "offline", reason: t.reason, at: t.at.toISOString() })),
      };
    },
  );
}
