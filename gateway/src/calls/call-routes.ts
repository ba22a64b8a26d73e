// Calls and Web Push subscriptions over HTTP.
import { notFoundError } from "../../../protocol/errors.ts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Database } from "../../../core/database.ts";
import {
  answerCallReply,
  callSettingsBody,
  callSettingsView,
  callView,
  callIdParams,
  callListQuery,
  callListReply,
  pushKeyReply,
  pushSubscriptionBody,
  pushSubscriptionReply,
  pushUnsubscribeBody,
} from "../../../protocol/calls.ts";
import { deviceIdParams, errorReply, householdIdParams } from "../../../protocol/http.ts";
import { viewGrantReply } from "../../../protocol/live-view.ts";
import { assertCanSeeHousehold, householdIdsOf } from "../access/access.ts";
import type { AuditLog } from "../access/audit.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";
import type { CallService } from "./call-service.ts";
import type { WebPush } from "./web-push.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply };

export interface CallsPluginOptions {
  db: Database;
  calls: CallService;
  push: WebPush;
  audit: AuditLog;
}

const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;

export async function callsPlugin(app: FastifyInstance, options: CallsPluginOptions): Promise<void> {
  const r = zodRoutes(app);
  registerPushRoutes(r, options);
  registerCallLists(r, options);
  registerCallActions(r, options);
  registerCallHome(r, options);
  registerAsksToTheElder(r, options);
  registerCallSettings(r, options);
}

function registerPushRoutes(r: ZodRoutes, { push }: CallsPluginOptions): void {
  r.get(
    "/push/key",
    {
      schema: {
        tags: ["calls"],
        summary: "The VAPID public key to subscribe to Web Push with (applicationServerKey)",
        response: { 200: pushKeyReply, ...errors },
      },
      preHandler: requireRole(),
    },
    async () => ({ publicKey: await push.publicKey() }),
  );

  r.post(
    "/push/subscriptions",
    {
      schema: {
        tags: ["calls"],
        summary: "Keep this browser's push subscription (one per endpoint; calls and notices ring it)",
        body: pushSubscriptionBody,
        response: { 201: pushSubscriptionReply, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      const id = await push.subscribe(signedIn(request).id, request.body);
      return reply.status(201).send({ id });
    },
  );

  r.delete(
    "/push/subscriptions",
    {
      schema: {
        tags: ["calls"],
        summary: "Stop pushing to this browser",
        body: pushUnsubscribeBody,
        response: { 204: z.null(), ...errors },
      },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      if (!(await push.unsubscribe(signedIn(request).id, request.body.endpoint)))
        throw notFoundError("push subscription");
      return reply.status(204).send(null);
    },
  );
}

function registerCallLists(r: ZodRoutes, { db, calls }: CallsPluginOptions): void {
  r.get(
    "/calls",
    {
      schema: {
        tags: ["calls"],
        summary: "Calls of my households, newest first (state=missed: the missed calls to call back)",
        querystring: callListQuery,
        response: { 200: callListReply, ...errors },
      },
      preHandler: requireRole("family"),
    },
    async (request) => {
      const user = signedIn(request);
      return { items: await calls.list(user, await householdIdsOf(db, user.id), request.query) };
    },
  );

  r.get(
    "/households/:householdId/calls",
    {
      schema: {
        tags: ["calls"],
        summary: "A household's calls, newest first",
        params: householdIdParams,
        querystring: callListQuery,
        response: { 200: callListReply, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const user = signedIn(request);
      await assertCanSeeHousehold(db, user, request.params.householdId);
      return { items: await calls.list(user, [request.params.householdId], request.query) };
    },
  );
}

/** The elder's call answered by a member, and an answered call (either way) hung up. */
function registerCallActions(r: ZodRoutes, { calls }: CallsPluginOptions): void {
  r.post(
    "/calls/:callId/answer",
    {
      schema: {
        tags: ["calls"],
        summary:
          "Answer the elder's call: first answer wins (409 call-not-ringing after); returns a viewer grant to open live view with talk on",
        params: callIdParams,
        response: { 200: answerCallReply, ...errors },
      },
      preHandler: requireRole("family"),
    },
    async (request) => calls.answer(signedIn(request), request.params.callId),
  );

  r.post(
    "/calls/:callId/hang-up",
    {
      schema: {
        tags: ["calls"],
        summary: "A member ends an answered call (the camera stops showing it); an ended call is answered as it is",
        params: callIdParams,
        response: { 200: callView, ...errors },
      },
      preHandler: requireRole("family"),
    },
    async (request) => calls.hangUp(signedIn(request), request.params.callId),
  );
}

/** A member's call home: rung, watched once the elder answered, or given up before. */
function registerCallHome(r: ZodRoutes, { calls }: CallsPluginOptions): void {
  r.post(
    "/devices/:deviceId/call",
    {
      schema: {
        tags: ["calls"],
        summary: "Call home: the camera rings until the elder presses its button (or the household's auto-answer)",
        params: deviceIdParams,
        response: { 201: callView, ...errors },
      },
      preHandler: requireRole("family"),
    },
    async (request, reply) => reply.status(201).send(await calls.callHome(signedIn(request), request.params.deviceId)),
  );

  r.post(
    "/calls/:callId/view",
    {
      schema: {
        tags: ["calls"],
        summary: "The caller's viewer grant once the elder answered a call home",
        params: callIdParams,
        response: { 200: viewGrantReply, ...errors },
      },
      preHandler: requireRole("family"),
    },
    async (request) => calls.viewAnsweredCall(signedIn(request), request.params.callId),
  );

  r.post(
    "/calls/:callId/cancel",
    {
      schema: {
        tags: ["calls"],
        summary: "The caller hangs up a call home before it is answered",
        params: callIdParams,
        response: { 200: callView, ...errors },
      },
      preHandler: requireRole("family"),
    },
    async (request) => calls.cancel(signedIn(request), request.params.callId),
  );
}

/** What the family may ask of the elder, who alone decides (their privacy). */
function registerAsksToTheElder(r: ZodRoutes, { calls }: CallsPluginOptions): void {
  r.post(
    "/devices/:deviceId/privacy-request",
    {
      schema: {
        tags: ["calls"],
        summary:
          "Ask the elder to end privacy mode: the camera says who asks; only the elder's privacy button ends it (once a minute)",
        params: deviceIdParams,
        response: { 204: z.null(), ...errors, 429: errorReply, 504: errorReply },
      },
      preHandler: requireRole("family"),
    },
    async (request, reply) => {
      await calls.askToEndPrivacy(signedIn(request), request.params.deviceId);
      return reply.status(204).send(null);
    },
  );
}

function registerCallSettings(r: ZodRoutes, { db, audit, calls }: CallsPluginOptions): void {
  r.get(
    "/households/:householdId/call-settings",
    {
      schema: {
        tags: ["calls"],
        summary: "Auto-answer (who set it, when) and privacy time after a declined call",
        params: householdIdParams,
        response: { 200: callSettingsView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      await assertCanSeeHousehold(db, signedIn(request), request.params.householdId);
      return toSettings(await db.household.findUniqueOrThrow({ where: { id: request.params.householdId } }));
    },
  );

  r.put(
    "/households/:householdId/call-settings",
    {
      schema: {
        tags: ["calls"],
        summary: "Set auto-answer and the privacy time after a declined call (family members of the household)",
        params: householdIdParams,
        body: callSettingsBody,
        response: { 200: callSettingsView, ...errors },
      },
      preHandler: requireRole("family"),
    },
    async (request) => {
      const user = signedIn(request);
      const { householdId } = request.params;
      await assertCanSeeHousehold(db, user, householdId);
      const current = await db.household.findUniqueOrThrow({ where: { id: householdId } });
      const changed = current.autoAnswerAfterS !== request.body.autoAnswerAfterS;
      const row = await db.household.update({
        where: { id: householdId },
        data: {
          declinePrivacyMin: request.body.declinePrivacyMin,
          ...(changed
            ? {
                autoAnswerAfterS: request.body.autoAnswerAfterS,
                autoAnswerSetBy: user.displayName,
                autoAnswerSetAt: new Date(),
              }
            : {}),
        },
      });
      await audit(user.id, "household.call-settings", householdId, request.body);
      if (changed) void calls.autoAnswerChanged(user, householdId, request.body.autoAnswerAfterS);
      return toSettings(row);
    },
  );
}

function toSettings(h: {
  autoAnswerAfterS: number | null;
  autoAnswerSetBy: string | null;
  autoAnswerSetAt: Date | null;
  declinePrivacyMin: number;
}) {
  return {
    autoAnswerAfterS: h.autoAnswerAfterS,
    autoAnswerSetBy: h.autoAnswerSetBy,
    autoAnswerSetAt: h.autoAnswerSetAt?.toISOString() ?? null,
    declinePrivacyMin: h.declinePrivacyMin,
  };
}
