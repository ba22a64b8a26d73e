// What the app and staff may know about messages: which channels this server has (anyone: the sign-in screen
// offers codes only where SMS works, the settings screen says when it is missing), and the message log (staff;
// numbers masked).
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Database } from "../../../core/database.ts";
import { errorReply } from "../../../protocol/http.ts";
import { channelsView, maskPhone, messageLogQuery, messageLogView } from "../../../protocol/phone.ts";
import { requireRole } from "../access/auth.ts";
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

export async function messageRoutesPlugin(app: FastifyInstance, { db, notifier }: MessageRoutesOptions) {
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
