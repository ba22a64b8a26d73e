// Wellbeing routes: the family's strip and settings, the one-press answers, staff's and village contacts' list
// of checks, and staff naming each village's contacts.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Database, Prisma } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
import { errorReply, householdIdParams } from "../../../protocol/http.ts";
import {
  villageContactBody,
  villageContactListReply,
  villageContactParams,
  villageContactView,
  wellbeingAnswerBody,
  wellbeingCheckListQuery,
  wellbeingCheckListReply,
  wellbeingCheckParams,
  wellbeingCheckView,
  wellbeingSettingsBody,
  wellbeingSettingsView,
  wellbeingTodayView,
} from "../../../protocol/wellbeing.ts";
import { isHouseholdMember } from "../access/access.ts";
import type { AuditLog } from "../access/audit.ts";
import { requireRole, signedIn, type SignedInUser } from "../access/signed-in.ts";
import { ACTIVE_STATES, checkInclude, contactVillagesOf, toCheckView } from "./check-records.ts";
import { settingsView, todayView } from "./today-view.ts";
import type { WellbeingService } from "./wellbeing-service.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply };

export interface WellbeingRoutesOptions {
  db: Database;
  audit: AuditLog;
  wellbeing: WellbeingService;
}

export async function wellbeingPlugin(app: FastifyInstance, options: WellbeingRoutesOptions): Promise<void> {
  registerHouseholdRoutes(app, options);
  registerCheckRoutes(app, options);
  registerContactRoutes(app, options);
}

/** How an elder's day went is the family's, the county's and the village contact's to see: not every installer's. */
async function assertMaySeeWellbeing(db: Database, user: SignedInUser, householdId: string): Promise<void> {
  const household = await db.household.findUnique({ where: { id: householdId }, select: { village: true } });
  if (!household) throw notFoundError("household");
  if (user.role === "staff") return;
  if (user.role === "family") {
    if (await isHouseholdMember(db, user.id, householdId)) return;
    throw notFoundError("household");
  }
  if ((await contactVillagesOf(db, user.id)).includes(household.village)) return;
  throw new DomainError("forbidden", { message: "only the village's named contacts see its households' days" });
}

function registerHouseholdRoutes(app: FastifyInstance, { db, audit, wellbeing }: WellbeingRoutesOptions): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/households/:householdId/wellbeing",
    {
      schema: {
        tags: ["wellbeing"],
        summary: "Today's movement against the usual day, in plain words, with the open check and the settings",
        params: householdIdParams,
        response: { 200: wellbeingTodayView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      await assertMaySeeWellbeing(db, signedIn(request), request.params.householdId);
      return todayView(db, wellbeing, request.params.householdId);
    },
  );
  r.put(
    "/households/:householdId/wellbeing/settings",
    {
      schema: {
        tags: ["wellbeing"],
        summary: "Margins, away until, and consent to activity checks in privacy mode (family members)",
        params: householdIdParams,
        body: wellbeingSettingsBody,
        response: { 200: wellbeingSettingsView, ...errors },
      },
      preHandler: requireRole("family"),
    },
    async (request) => {
      const user = signedIn(request);
      const { householdId } = request.params;
      if (!(await isHouseholdMember(db, user.id, householdId))) throw notFoundError("household");
      const current = await db.wellbeingProfile.findUnique({ where: { householdId } });
      const { awayUntil, activityInPrivacy, ...rest } = request.body;
      const consentChanged = (current?.activityInPrivacy ?? false) !== activityInPrivacy;
      const data = {
        ...rest,
        awayUntil: awayUntil ? new Date(awayUntil) : null,
        activityInPrivacy,
        ...(consentChanged
          ? { activityInPrivacySetBy: user.displayName, activityInPrivacySetAt: wellbeing.now() }
          : {}),
      };
      const row = await db.wellbeingProfile.upsert({
        where: { householdId },
        update: data,
        create: { householdId, ...data },
      });
      await audit(user.id, "household.wellbeing-settings", householdId, request.body);
      if (consentChanged) await wellbeing.sendConsent(householdId);
      return settingsView(row);
    },
  );
}

function registerCheckRoutes(app: FastifyInstance, { db, audit, wellbeing }: WellbeingRoutesOptions): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/wellbeing/checks/:checkId/answer",
    {
      schema: {
        tags: ["wellbeing"],
        summary: "One press: all-well closes the check; cannot-reach asks the village contact at once",
        params: wellbeingCheckParams,
        body: wellbeingAnswerBody,
        response: { 200: wellbeingCheckView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const user = signedIn(request);
      const view = await wellbeing.answer(request.params.checkId, user, request.body.answer);
      await audit(user.id, "wellbeing.answer", request.params.checkId, request.body);
      return view;
    },
  );
  r.get(
    "/wellbeing/checks",
    {
      schema: {
        tags: ["wellbeing"],
        summary: "Checks by village, newest first (staff: all; village contacts: their villages)",
        querystring: wellbeingCheckListQuery,
        response: { 200: wellbeingCheckListReply, ...errors },
      },
      preHandler: requireRole("staff", "installer"),
    },
    async (request) => {
      const user = signedIn(request);
      const { state, village, limit } = request.query;
      const where: Prisma.WellbeingCheckWhereInput = state === "active" ? { state: { in: ACTIVE_STATES } } : {};
      const villages = user.role === "staff" ? null : await contactVillagesOf(db, user.id);
      const scope = villages ? { village: { in: village ? villages.filter((v) => v === village) : villages } } : {};
      const rows = await db.wellbeingCheck.findMany({
        where: { ...where, household: { ...scope, ...(village && !villages ? { village } : {}) } },
        include: checkInclude,
        orderBy: [{ raisedAt: "desc" }],
        take: limit,
      });
      const items = rows.map(toCheckView);
      items.sort((a, b) => a.village.localeCompare(b.village, "zh-CN"));
      return { items };
    },
  );
}

function registerContactRoutes(app: FastifyInstance, { db, audit }: WellbeingRoutesOptions): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const view = (row: { id: string; village: string; userId: string }, displayName: string) => ({
    id: row.id,
    village: row.village,
    userId: row.userId,
    displayName,
  });
  r.get(
    "/wellbeing/contacts",
    {
      schema: {
        tags: ["wellbeing"],
        summary: "Who is told in each village when a family does not answer",
        response: { 200: villageContactListReply, ...errors },
      },
      preHandler: requireRole("staff"),
    },
    async () => {
      const rows = await db.villageContact.findMany({ orderBy: [{ village: "asc" }] });
      const users = await db.user.findMany({
        where: { id: { in: rows.map((c) => c.userId) } },
        select: { id: true, displayName: true },
      });
      const names = new Map(users.map((u) => [u.id, u.displayName]));
      return { items: rows.map((c) => view(c, names.get(c.userId) ?? "")) };
    },
  );
  r.post(
    "/wellbeing/contacts",
    {
      schema: {
        tags: ["wellbeing"],
        summary: "Name an installer or staff account as a village's contact (staff)",
        body: villageContactBody,
        response: { 201: villageContactView, ...errors },
      },
      preHandler: requireRole("staff"),
    },
    async (request, reply) => {
      const user = signedIn(request);
      const { village, userId } = request.body;
      const contact = await db.user.findUnique({ where: { id: userId }, select: { role: true, displayName: true } });
      if (!contact) throw notFoundError("account");
      if (contact.role === "family")
        throw new DomainError("invalid-request", { message: "village contacts are installer or staff accounts" });
      const row = await db.villageContact.upsert({
        where: { village_userId: { village, userId } },
        update: {},
        create: { id: randomId("vct_", 12), village, userId, createdBy: user.id },
      });
      await audit(user.id, "wellbeing.contact-named", userId, { village });
      return reply.status(201).send(view(row, contact.displayName));
    },
  );
  r.delete(
    "/wellbeing/contacts/:contactId",
    {
      schema: { tags: ["wellbeing"], summary: "Remove a village contact (staff)", params: villageContactParams },
      preHandler: requireRole("staff"),
    },
    async (request, reply) => {
      const { count } = await db.villageContact.deleteMany({ where: { id: request.params.contactId } });
      if (count === 0) throw notFoundError("village contact");
      await audit(signedIn(request).id, "wellbeing.contact-removed", request.params.contactId, {});
      return reply.status(204).send();
    },
  );
}
