// The on-site check over HTTP: installers start it and follow its progress; staff read past checks.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { deviceIdParams, errorReply, householdIdParams } from "../../../protocol/http.ts";
import { siteCheckParams, siteCheckView } from "../../../protocol/site-check.ts";
import type { Database } from "../../../core/database.ts";
import type { AuditLog } from "../access/audit.ts";
import { assertCanSeeHousehold, assertCanWorkOnDevice } from "../access/access.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";
import type { SiteCheckService } from "./site-check-service.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply };
const checkList = z.object({ items: z.array(siteCheckView) });

export interface SiteCheckRoutesOptions {
  db: Database;
  audit: AuditLog;
  siteChecks: SiteCheckService;
}

const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;
const installerOrStaff = requireRole("installer", "staff");

export async function siteCheckPlugin(app: FastifyInstance, options: SiteCheckRoutesOptions) {
  const r = zodRoutes(app);
  registerRunningCheck(r, options);
  registerPastChecks(r, options);
}

/** A check started on site and followed while it runs. */
function registerRunningCheck(r: ZodRoutes, { audit, siteChecks }: SiteCheckRoutesOptions): void {
  r.post(
    "/devices/:deviceId/site-checks",
    {
      schema: {
        tags: ["site-checks"],
        summary:
          "Start an on-site check (检测网络): round trips, then a short stream through the relay; answers 202 at once, follow it at /site-checks/{id}",
        params: deviceIdParams,
        response: { 202: siteCheckView, ...errors },
      },
      preHandler: installerOrStaff,
    },
    async (request, reply) => {
      const user = signedIn(request);
      const check = await siteChecks.start(user, request.params.deviceId);
      await audit(user.id, "device.site-check", request.params.deviceId, { checkId: check.id });
      return reply.status(202).send(check);
    },
  );

  r.get(
    "/site-checks/:checkId",
    {
      schema: {
        tags: ["site-checks"],
        summary: "One check: its progress while running, then its verdict, advice and measurements",
        params: siteCheckParams,
        response: { 200: siteCheckView, ...errors },
      },
      preHandler: installerOrStaff,
    },
    async (request) => siteChecks.view(signedIn(request), request.params.checkId),
  );
}

/** Past checks, of a household or of one camera, newest first. */
function registerPastChecks(r: ZodRoutes, { db, siteChecks }: SiteCheckRoutesOptions): void {
  r.get(
    "/households/:householdId/site-checks",
    {
      schema: {
        tags: ["site-checks"],
        summary: "The household's on-site checks, newest first",
        params: householdIdParams,
        response: { 200: checkList, ...errors },
      },
      preHandler: installerOrStaff,
    },
    async (request) => {
      await assertCanSeeHousehold(db, signedIn(request), request.params.householdId);
      return { items: await siteChecks.list({ householdId: request.params.householdId }) };
    },
  );

  r.get(
    "/devices/:deviceId/site-checks",
    {
      schema: {
        tags: ["site-checks"],
        summary: "On-site checks of this camera, newest first",
        params: deviceIdParams,
        response: { 200: checkList, ...errors },
      },
      preHandler: installerOrStaff,
    },
    async (request) => {
      await assertCanWorkOnDevice(db, signedIn(request), request.params.deviceId);
      return { items: await siteChecks.list({ deviceId: request.params.deviceId }) };
    },
  );
}
