// The household's call window (when looking in needs a call), its notices, and each member's choice of notices.
import { notFoundError } from "../../../protocol/errors.ts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Database } from "../../../core/database.ts";
import {
  callWindowBody,
  callWindowView,
  noticeListQuery,
  noticeListReply,
  noticePreferences,
} from "../../../protocol/calls.ts";
import { errorReply, householdIdParams } from "../../../protocol/http.ts";
import { messagePreferences } from "../../../protocol/phone.ts";
import { assertCanSeeHousehold } from "../access/access.ts";
import type { AuditLog } from "../access/audit.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";
import { callWindowData, toCallWindowView } from "./call-windows.ts";
import type { FamilyNotices } from "./family-notices.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply };

interface Deps {
  db: Database;
  audit: AuditLog;
  notices: FamilyNotices;
}

export async function householdCallSettingsPlugin(app: FastifyInstance, deps: Deps): Promise<void> {
  registerCallWindowRoutes(app, deps);
  registerNoticeRoutes(app, deps);
  registerMessagePreferenceRoutes(app, deps);
}

function registerCallWindowRoutes(app: FastifyInstance, { db, audit }: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/households/:householdId/call-window",
    {
      schema: {
        tags: ["calls"],
        summary: "The hours (household's local time) when looking in needs a call; who set them and when",
        params: householdIdParams,
        response: { 200: callWindowView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      await assertCanSeeHousehold(db, signedIn(request), request.params.householdId);
      const row = await db.household.findUniqueOrThrow({ where: { id: request.params.householdId } });
      return toCallWindowView(row, new Date());
    },
  );

  r.put(
    "/households/:householdId/call-window",
    {
      schema: {
        tags: ["calls"],
        summary:
          "Set the call window (family members): within it a look-in answers 403 call-window, a call still connects; null removes it",
        params: householdIdParams,
        body: callWindowBody,
        response: { 200: callWindowView, ...errors },
      },
      preHandler: requireRole("family"),
    },
    async (request) => {
      const user = signedIn(request);
      const { householdId } = request.params;
      await assertCanSeeHousehold(db, user, householdId);
      const now = new Date();
      const row = await db.household.update({
        where: { id: householdId },
        data: callWindowData(request.body, user.displayName, now),
      });
      await audit(user.id, "household.call-window", householdId, request.body);
      return toCallWindowView(row, now);
    },
  );
}

function registerNoticeRoutes(app: FastifyInstance, { db, notices }: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/households/:householdId/notices",
    {
      schema: {
        tags: ["calls"],
        summary: "What the household was told about its cameras (offline for a while, back), newest first",
        params: householdIdParams,
        querystring: noticeListQuery,
        response: { 200: noticeListReply, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      await assertCanSeeHousehold(db, signedIn(request), request.params.householdId);
      return { items: await notices.list(request.params.householdId, request.query.limit) };
    },
  );

  const preferencesRoute = {
    tags: ["calls"],
    params: householdIdParams,
    response: { 200: noticePreferences, ...errors },
  };
  r.get(
    "/households/:householdId/notice-preferences",
    {
      schema: { ...preferencesRoute, summary: "Which notices reach me (push and the open app)" },
      preHandler: requireRole("family"),
    },
    async (request) => toPreferences(await membership(db, signedIn(request).id, request.params.householdId)),
  );
  r.put(
    "/households/:householdId/notice-preferences",
    {
      schema: { ...preferencesRoute, summary: "Choose which notices reach me", body: noticePreferences },
      preHandler: requireRole("family"),
    },
    async (request) => {
      const userId = signedIn(request).id;
      const { householdId } = request.params;
      await membership(db, userId, householdId);
      const row = await db.householdMember.update({
        where: { householdId_userId: { householdId, userId } },
        data: { noticeCameraOffline: request.body.cameraOffline, noticeCameraBack: request.body.cameraBack },
      });
      return toPreferences(row);
    },
  );
}

/** SMS and voice calls: each member chooses whether, and their quiet hours. */
function registerMessagePreferenceRoutes(app: FastifyInstance, { db }: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const route = { tags: ["calls"], params: householdIdParams, response: { 200: messagePreferences, ...errors } };
  r.get(
    "/households/:householdId/message-preferences",
    {
      schema: { ...route, summary: "Whether SMS and voice calls reach me, and my quiet hours" },
      preHandler: requireRole("family"),
    },
    async (request) => toMessagePreferences(await membership(db, signedIn(request).id, request.params.householdId)),
  );
  r.put(
    "/households/:householdId/message-preferences",
    {
      schema: {
        ...route,
        summary: "Choose whether SMS and voice calls reach me, and my quiet hours",
        body: messagePreferences,
      },
      preHandler: requireRole("family"),
    },
    async (request) => {
      const userId = signedIn(request).id;
      const { householdId } = request.params;
      await membership(db, userId, householdId);
      const { sms, quietHours } = request.body;
      const row = await db.householdMember.update({
        where: { householdId_userId: { householdId, userId } },
        data: {
          alertBySms: sms,
          quietStartMin: quietHours ? clockMinutes(quietHours.start) : null,
          quietEndMin: quietHours ? clockMinutes(quietHours.end) : null,
        },
      });
      return toMessagePreferences(row);
    },
  );
}

const clockMinutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
const clock = (min: number) => `${String(Math.floor(min / 60)).padStart(2, "0")}:${String(min % 60).padStart(2, "0")}`;
const toMessagePreferences = (row: {
  alertBySms: boolean;
  quietStartMin: number | null;
  quietEndMin: number | null;
}) => ({
  sms: row.alertBySms,
  quietHours:
    row.quietStartMin === null || row.quietEndMin === null
      ? null
      : { start: clock(row.quietStartMin), end: clock(row.quietEndMin) },
});

/** Only a member has preferences; any other household answers as if it did not exist. */
async function membership(db: Database, userId: string, householdId: string) {
  const row = await db.householdMember.findUnique({ where: { householdId_userId: { householdId, userId } } });
  if (!row) throw notFoundError("household");
  return row;
}

const toPreferences = (row: { noticeCameraOffline: boolean; noticeCameraBack: boolean }) => ({
  cameraOffline: row.noticeCameraOffline,
  cameraBack: row.noticeCameraBack,
});
