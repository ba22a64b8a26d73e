// Fleet and device health routes: who is online, by village; one camera's heartbeats, transitions and uptime.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
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
import { assertCanSeeDevice } from "../access/access.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";
import { listDevices, readDeviceDetail, summariseFleet } from "./fleet-service.ts";
import type { SharedPages } from "./shared-pages.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply };

const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;

export interface FleetPluginOptions {
  db: Database;
  /** The driver's reads for the device list (core/sql-reader.ts). */
  reads: SqlReader;
  /** Staff device-list pages and the fleet summary, shared for a moment (shared-pages.ts). */
  staffPages: SharedPages;
}

export async function fleetPlugin(app: FastifyInstance, options: FleetPluginOptions): Promise<void> {
  const { db, reads } = options;
  const r = zodRoutes(app);
  registerFleetRoutes(r, options);
  registerDeviceHistoryRoutes(r, db, reads);
}

function registerFleetRoutes(r: ZodRoutes, { db, reads, staffPages }: FleetPluginOptions): void {
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
    async () => staffPages.get("fleet-summary", () => summariseFleet(db)),
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
    async (request) => listDevices(db, reads, signedIn(request), request.query, staffPages),
  );
}

function registerDeviceHistoryRoutes(r: ZodRoutes, db: Database, reads: SqlReader): void {
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
      await assertCanSeeDevice({ db, reads }, signedIn(request), request.params.deviceId);
      return readDeviceDetail(reads, request.params.deviceId);
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
      await assertCanSeeDevice({ db, reads }, signedIn(request), request.params.deviceId);
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
      await assertCanSeeDevice({ db, reads }, signedIn(request), request.params.deviceId);
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
