// Offline alerts for staff: list and acknowledge.
import { notFoundError } from "../../../protocol/errors.ts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Prisma } from "../../../core/database.ts";
import { alertIdParams, alertListQuery, alertView, errorReply, page } from "../../../protocol/http.ts";
import type { Database } from "../../../core/database.ts";
import type { LiveHub } from "../events/live-hub.ts";
import { decodeCursor, nextCursor, pageTotal } from "../http/pagination.ts";
import { alertInclude, alertViewSelect, toAlertView } from "../http/views.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";
import { displayNamesOf } from "../access/display-names.ts";
import type { SignedInUser } from "../access/sessions.ts";
import type { z } from "zod";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply };

export async function alertsPlugin(app: FastifyInstance, { db, hub }: { db: Database; hub: LiveHub }): Promise<void> {
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
    async (request) => alertPage(db, request.query),
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

/** One page of alerts, newest first, with who acknowledged each by display name. */
async function alertPage(db: Database, query: z.infer<typeof alertListQuery>) {
  const { state, village, limit, cursor } = query;
  const where: Prisma.AlertWhereInput = {};
  if (state === "open") where.resolvedAt = null;
  if (state === "resolved") where.resolvedAt = { not: null };
  if (village) where.device = { household: { village } };
  const offset = decodeCursor(cursor);
  const rows = await db.alert.findMany({
    where,
    orderBy: [{ raisedAt: "desc" }, { id: "asc" }],
    skip: offset,
    take: limit,
    select: alertViewSelect,
  });
  const total = await pageTotal(offset, limit, rows.length, () => db.alert.count({ where }));
  const names = await displayNamesOf(
    db,
    rows.map((a) => a.acknowledgedBy),
  );
  const items = rows.map((a) => toAlertView(a, a.acknowledgedBy ? (names.get(a.acknowledgedBy) ?? null) : null));
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
