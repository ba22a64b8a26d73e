// Offline alerts for staff: list and acknowledge.
import { notFoundError } from "../../../protocol/errors.ts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { alertIdParams, alertListQuery, alertView, errorReply, page } from "../../../protocol/http.ts";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import type { LiveHub } from "../events/live-hub.ts";
import { decodeCursor, nextCursor, pageTotal } from "../http/pagination.ts";
import { alertInclude, toAlertView } from "../http/views.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";
import { displayNamesOf } from "../access/display-names.ts";
import type { SignedInUser } from "../access/sessions.ts";
import { countAlerts, readAlertPage } from "./alert-store.ts";
import type { SharedPages } from "./shared-pages.ts";
import type { z } from "zod";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply };

export async function alertsPlugin(
  app: FastifyInstance,
  { db, reads, hub, staffPages }: { db: Database; reads: SqlReader; hub: LiveHub; staffPages: SharedPages },
): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/alerts",
    {
      schema: {
        tags: ["health"],
        summary: "Offline alerts, newest first",
        querystring: alertListQuery,
        response: { 200: page(alertView), ...errors },
      },
      preHandler: requireRole("staff", "installer"),
    },
    // Staff and installers see the same alerts: a page is shared for a moment (shared-pages.ts).
    async (request) => staffPages.get(`alerts ${JSON.stringify(request.query)}`, () => alertPage(reads, request.query)),
  );

  r.post(
    "/alerts/:alertId/ack",
    {
      schema: {
        tags: ["health"],
        summary: "Acknowledge an alert (someone is on it); it still resolves by itself when the camera returns",
        params: alertIdParams,
        response: { 200: alertView, ...errors },
      },
      preHandler: requireRole("staff", "installer"),
    },
    async (request) => acknowledge({ db, hub }, signedIn(request), request.params.alertId),
  );
}

/** One page of alerts, newest first, with who acknowledged each by display name (on the driver: alert-store.ts). */
async function alertPage(reads: SqlReader, query: z.infer<typeof alertListQuery>) {
  const { state, village, limit, cursor } = query;
  const filter = { state, village };
  const offset = decodeCursor(cursor);
  const rows = await readAlertPage(reads, { filter, offset, limit });
  const total = await pageTotal(offset, limit, rows.length, () => countAlerts(reads, filter));
  const items = rows.map((a) => toAlertView(a, a.acknowledgedByName));
  return { items, total, nextCursor: nextCursor(offset, rows.length, total) };
}

/** Someone is on it: acknowledged once (a second acknowledgement answers the first), and staff see it live. */
async function acknowledge({ db, hub }: { db: Database; hub: LiveHub }, user: SignedInUser, alertId: string) {
  const existing = await db.alert.findUnique({ where: { id: alertId } });
  if (!existing) throw notFoundError("alert");
  const alert = existing.acknowledgedAt
    ? await db.alert.findUniqueOrThrow({ where: { id: existing.id }, include: alertInclude })
    : await db.alert.update({
        where: { id: existing.id },
        data: { acknowledgedAt: new Date(), acknowledgedBy: user.username },
        include: alertInclude,
      });
  const ackName = alert.acknowledgedBy === user.username ? user.displayName : null;
  const view = toAlertView(
    alert,
    ackName ?? (await displayNamesOf(db, [alert.acknowledgedBy])).get(alert.acknowledgedBy ?? "") ?? null,
  );
  hub.publish(
    { type: "alert.acknowledged", alert: view },
    { deviceId: alert.deviceId, householdId: alert.device.householdId },
  );
  return view;
}
