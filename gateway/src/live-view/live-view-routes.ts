// Live view: a viewer token for a camera (household members), the relay's WHIP/WHEP endpoints, the view log.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { deviceIdParams, errorReply, householdIdParams } from "../../../protocol/http.ts";
import { viewGrantReply, viewLogQuery, viewLogReply } from "../../../protocol/live-view.ts";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import { signalingPlugin, type RelayPool } from "../../../relay/src/index.ts";
import { assertCanSeeDevice, assertCanSeeHousehold, notAssigned, type AccessData } from "../access/access.ts";
import type { LiveViewService } from "./live-view-service.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply };

type ViewRow = {
  id: string;
  deviceId: string;
  userId: string;
  displayName: string;
  startedAt: Date;
  endedAt: Date | null;
  endReason: string | null;
  talked: boolean;
  startedBy: string;
  device: { serial: string; label: string | null };
};
const toViewLogEntry = (v: ViewRow) => ({
  id: v.id,
  deviceId: v.deviceId,
  serial: v.device.serial,
  label: v.device.label,
  userId: v.userId,
  displayName: v.displayName,
  startedAt: v.startedAt.toISOString(),
  endedAt: v.endedAt?.toISOString() ?? null,
  durationS: v.endedAt ? Math.round((v.endedAt.getTime() - v.startedAt.getTime()) / 1000) : null,
  endReason: v.endReason,
  talked: v.talked,
  startedBy: v.startedBy as "look-in" | "call" | "answered-call",
});

/** The view log's newest entries matching `where`, with each camera's serial and label. */
async function viewLog(db: Database, where: { deviceId?: string; householdId?: string | null }, limit: number) {
  const rows = await db.viewSession.findMany({
    where,
    orderBy: { startedAt: "desc" },
    take: limit,
    include: { device: { select: { serial: true, label: true } } },
  });
  return { items: rows.map(toViewLogEntry) };
}

const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;

export async function liveViewPlugin(
  app: FastifyInstance,
  { db, reads, liveView }: { db: Database; reads: SqlReader; liveView: LiveViewService },
): Promise<void> {
  const r = zodRoutes(app);
  registerViewGrant(r, liveView);
  registerViewLogRoutes(r, { db, reads });
}

function registerViewGrant(r: ZodRoutes, liveView: LiveViewService): void {
  r.post(
    "/devices/:deviceId/view",
    {
      schema: {
        tags: ["live view"],
        summary:
          "Ask to watch a camera: a short-lived WHEP token (household members only; refused in privacy mode, and 403 call-window during the household's call window)",
        params: deviceIdParams,
        response: { 200: viewGrantReply, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => liveView.grantView(signedIn(request), request.params.deviceId),
  );
}

/** Who watched: a camera's views (made while it was the household's own), or a household's. */
function registerViewLogRoutes(r: ZodRoutes, data: AccessData): void {
  const { db } = data;
  r.get(
    "/devices/:deviceId/view-log",
    {
      schema: {
        tags: ["live view"],
        summary: "Who watched this camera, when and for how long",
        params: deviceIdParams,
        querystring: viewLogQuery,
        response: { 200: viewLogReply, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const user = signedIn(request);
      const device = await assertCanSeeDevice(data, user, request.params.deviceId);
      if (user.role === "installer") {
        if (!device.householdId) throw notAssigned();
        await assertCanSeeHousehold(db, user, device.householdId);
      }
      // A household sees only the views made while the camera was its own, not those of a home it moved from.
      const where =
        user.role === "staff"
          ? { deviceId: request.params.deviceId }
          : { deviceId: request.params.deviceId, householdId: device.householdId };
      return viewLog(db, where, request.query.limit);
    },
  );

  r.get(
    "/households/:householdId/view-log",
    {
      schema: {
        tags: ["live view"],
        summary: "Who watched this household's cameras",
        params: householdIdParams,
        querystring: viewLogQuery,
        response: { 200: viewLogReply, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      await assertCanSeeHousehold(db, signedIn(request), request.params.householdId);
      return viewLog(db, { householdId: request.params.householdId }, request.query.limit);
    },
  );
}

/** The relay's WHIP/WHEP endpoints: registered once the relay's workers run (they need the pool). */
export async function relaySignalingPlugin(
  app: FastifyInstance,
  { liveView, pool }: { liveView: LiveViewService; pool: RelayPool },
): Promise<void> {
  await app.register(signalingPlugin, {
    pool,
    iceServers: (clientId) => liveView.iceServersFor(clientId),
    authorizePublish: (cameraId, token) => liveView.authorizePublish(cameraId, token),
    authorizeView: (cameraId, token) => liveView.authorizeView(cameraId, token),
    admitViewer: (cameraId, token) => liveView.admitViewer(cameraId, token),
    onViewerJoined: (event) => liveView.onViewerJoined(event),
    onViewerLeft: (event) => liveView.onViewerLeft(event),
    onCameraPublished: (event) => liveView.onCameraPublished(event),
    onCameraUnpublished: (event) => liveView.onCameraUnpublished(event),
    onTalkbackChanged: (event) => liveView.onTalkbackChanged(event),
    onViewerDownlink: (event) => liveView.onViewerDownlink(event),
  });
}
