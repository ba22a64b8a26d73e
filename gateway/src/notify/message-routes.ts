// What the app and staff may know about messages: which channels this server has (anyone: the sign-in screen
// offers codes only where SMS works, the settings screen says when it is missing), and the message log (staff;
// numbers masked).
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Database } from "../../../core/database.ts";
import { errorReply } from "../../../protocol/http.ts";
import { callReachView, channelsView, maskPhone, messageLogQuery, messageLogView } from "../../../protocol/phone.ts";
import { notFoundError } from "../../../protocol/errors.ts";
import { assertCanSeeHousehold } from "../access/access.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";
import type { Notifier } from "./notifier.ts";

export interface MessageRoutesOptions {
  db: Database;
  notifier: Pick<Notifier, "channels">;
}

type LogRow = Awaited<ReturnType<Database["messageLog"]["findMany"]>>[number];
const toView = (m: LogRow): z.infer<typeof messageLogView> => ({
  id: m.id,
  createdAt: m.createdAt.toISOString(),
  channel: m.channel as "sms" | "voice",
  provider: m.provider,
  template: m.template,
  phone: maskPhone(m.phone),
  userId: m.userId,
  householdId: m.householdId,
  callId: m.callId,
  state: m.state,
  providerMessageId: m.providerMessageId,
  error: m.error,
  attempts: m.attempts,
});

export async function messageRoutesPlugin(app: FastifyInstance, options: MessageRoutesOptions) {
  registerLogRoutes(app, options);
  registerCallReach(app, options);
}

/** The call screen says which channels were tried for the elder's call and who answered it. */
function registerCallReach(app: FastifyInstance, { db, notifier }: MessageRoutesOptions): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/calls/:callId/reach",
    {
      schema: {
        tags: ["messages"],
        summary: "How a call from home tried to reach the family (SMS, voice call) and who answered",
        params: z.object({ callId: z.string().min(1).max(64) }),
        response: { 200: callReachView, 401: errorReply, 403: errorReply, 404: errorReply },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const call = await db.call.findUnique({ where: { id: request.params.callId } });
      if (!call) throw notFoundError("call");
      await assertCanSeeHousehold(db, signedIn(request), call.householdId);
      const rows = await db.messageLog.findMany({ where: { callId: call.id }, orderBy: { createdAt: "asc" } });
      const users = await db.user.findMany({
        where: { id: { in: rows.flatMap((m) => (m.userId ? [m.userId] : [])) } },
        select: { id: true, displayName: true },
      });
      const nameOf = new Map(users.map((u) => [u.id, u.displayName]));
      return {
        answeredByName: call.answeredByName,
        channels: notifier.channels,
        items: rows.map((m) => ({
          channel: m.channel as "sms" | "voice",
          name: (m.userId && nameOf.get(m.userId)) || maskPhone(m.phone),
          state: m.state,
          at: m.createdAt.toISOString(),
        })),
      };
    },
  );
}

function registerLogRoutes(app: FastifyInstance, { db, notifier }: MessageRoutesOptions): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/channels",
    {
      schema: {
        tags: ["messages"],
        summary:
          "How this server reaches people outside the app (SMS and voice providers, or none); no sign-in: the sign-in screen offers codes only where SMS works",
        response: { 200: channelsView },
      },
    },
    async () => notifier.channels,
  );

  r.get(
    "/messages",
    {
      schema: {
        tags: ["messages"],
        summary: "The message log: every SMS and voice call, newest first, numbers masked (staff)",
        querystring: messageLogQuery,
        response: { 200: z.object({ items: z.array(messageLogView) }), 401: errorReply, 403: errorReply },
      },
      preHandler: requireRole("staff"),
    },
    async (request) => {
      const { householdId, limit } = request.query;
      const rows = await db.messageLog.findMany({
        where: householdId ? { householdId } : {},
        orderBy: { createdAt: "desc" },
        take: limit,
      });
      return { items: rows.map(toView) };
    },
  );
}
