// The fleet's answers: the device list (its reads in fleet-store.ts), one camera's detail and uptime, the summary.
import { notFoundError } from "../../../protocol/errors.ts";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import type { deviceListQuery } from "../../../protocol/http.ts";
import type { z } from "zod";
import type { SignedInUser } from "../access/signed-in.ts";
import { decodeCursor, nextCursor, pageTotal } from "../http/pagination.ts";
import { deviceViewSelect, toDeviceView, type DeviceRow } from "../http/views.ts";
import { gatewayDowntime } from "./gateway-runs.ts";
import {
  countDevices,
  prismaDeviceList,
  readDevicePage,
  readDeviceWithAlerts,
  readUptimeInputs,
  type DeviceListFilter,
  type UptimeInputs,
} from "./fleet-store.ts";
import type { SharedPages } from "./shared-pages.ts";
import { overlapMs, uptimeFraction, uptimeWindows, type Transition } from "./uptime.ts";

export interface DevicePage {
  items: ReturnType<typeof toDeviceView>[];
  total: number;
  nextCursor: string | null;
}

/**
 * A page of the device list as this person may see it: a family member only their households' cameras. A search
 * (`q`) goes through Prisma, every other list through the driver (fleet-store.ts). Staff and installers see the
 * same fleet, so their pages are shared for a moment (shared-pages.ts); a family's and a search's are not.
 */
export async function listDevices(
  db: Database,
  reads: SqlReader,
  user: SignedInUser,
  q: z.infer<typeof deviceListQuery>,
  staffPages: SharedPages,
): Promise<DevicePage> {
  const filter: DeviceListFilter = {
    householdId: q.householdId,
    village: q.village,
    // Longest offline means offline ones, unless another state was asked for.
    connection: q.connection ?? (q.sort === "offline-longest" ? "offline" : undefined),
    claimState: q.claimState,
    memberId: user.role === "family" ? user.id : undefined,
  };
  const offset = decodeCursor(q.cursor);
  const paging = { sort: q.sort, offset, limit: q.limit };
  if (q.q) {
    const search = prismaDeviceList(db, filter, q.q);
    return devicePage(offset, q.limit, { page: () => search.page(paging), count: () => search.count() });
  }
  const fromDriver = () =>
    devicePage(offset, q.limit, {
      page: () => readDevicePage(reads, { filter, ...paging }),
      count: () => countDevices(reads, filter),
    });
  return filter.memberId ? fromDriver() : staffPages.get(`devices ${JSON.stringify([filter, paging])}`, fromDriver);
}

async function devicePage(
  offset: number,
  limit: number,
  source: { page(): Promise<DeviceRow[]>; count(): Promise<number> },
): Promise<DevicePage> {
  const rows = await source.page();
  const total = await pageTotal(offset, limit, rows.length, source.count);
  return { items: rows.map(toDeviceView), total, nextCursor: nextCursor(offset, rows.length, total) };
}

export async function deviceUptime(db: Database, deviceId: string, now = new Date()) {
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
  return uptimeOver({ inside, before, downtime: await gatewayDowntime(db, from30, now) }, now);
}

/** Uptime over 24 h, 7 d and 30 d from the transitions of the last 30 days, the one before, and the gateways' gaps. */
export function uptimeOver({ inside, before, downtime }: UptimeInputs, now: Date) {
  const result: Record<keyof typeof uptimeWindows, number | null> = { h24: null, d7: null, d30: null };
  const unknownS: Record<keyof typeof uptimeWindows, number> = { h24: 0, d7: 0, d30: 0 };
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

/** One camera with its uptime and open alerts, through Prisma (after a change: provisioning's replies). */
export async function loadDeviceDetail(db: Database, deviceId: string, now = new Date()) {
  const device = await db.device.findUnique({ where: { id: deviceId }, select: deviceViewSelect });
  if (!device) throw notFoundError("camera");
  const openAlerts = await db.alert.count({ where: { deviceId, resolvedAt: null } });
  return { ...toDeviceView(device), uptime: await deviceUptime(db, deviceId, now), openAlerts };
}

/** The same detail on the driver (fleet-store.ts): the GET of a camera, which staff dashboards poll. */
export async function readDeviceDetail(reads: SqlReader, deviceId: string, now = new Date()) {
  const device = await readDeviceWithAlerts(reads, deviceId);
  if (!device) throw notFoundError("camera");
  const uptime = uptimeOver(await readUptimeInputs(reads, deviceId, now), now);
  return { ...toDeviceView(device), uptime, openAlerts: device.openAlerts };
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
export async function summariseFleet(db: Database) {
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
