// Households (an elder's home, in a village) and who belongs to them.
import { maskPhone } from "../../../protocol/phone.ts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Prisma } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import { DomainError, isDomainError, notFoundError } from "../../../protocol/errors.ts";
import {
  addMemberBody,
  errorReply,
  householdBody,
  householdIdParams,
  householdListQuery,
  householdDetailView,
  householdView,
  page,
} from "../../../protocol/http.ts";
import { assertCanSeeHousehold, householdIdsOf, installerHouseholds } from "./access.ts";
import { householdMemberParams } from "../../../protocol/accounts.ts";
import type { LiveSessions } from "../events/live-sessions.ts";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import { countMemberHouseholds, readMemberHouseholds } from "./household-store.ts";
import type { AuditLog } from "./audit.ts";
import { decodeCursor, nextCursor, pageTotal } from "../http/pagination.ts";
import { toHouseholdView } from "../http/views.ts";
import { requireRole, signedIn } from "./auth.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply };
const withCount = { _count: { select: { devices: true } } } as const;

export interface HouseholdsPluginOptions {
  db: Database;
  /** The driver's reads: a family member's households (household-store.ts). */
  reads: SqlReader;
  audit: AuditLog;
  /** A member's live sockets re-read their households when membership changes. */
  liveSessions: LiveSessions;
  /** Ends a person's live views of one household's cameras (absent without the relay). */
  cutViewer(userId: string, householdId: string): Promise<void>;
}

const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;

export async function householdsPlugin(app: FastifyInstance, options: HouseholdsPluginOptions): Promise<void> {
  const r = zodRoutes(app);
  registerHouseholdCreation(r, options);
  registerHouseholdRoutes(r, options);
  registerMemberRoutes(r, options);
}

/** A household created in the field (idempotent with a requestId); an installer who creates one works in it. */
function registerHouseholdCreation(r: ZodRoutes, { db, audit }: HouseholdsPluginOptions): void {
  r.post(
    "/households",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Create a household; repeat with the same requestId and it is created once",
        body: householdBody,
        response: { 200: householdView, 201: householdView, ...errors },
      },
      preHandler: requireRole("installer", "staff"),
    },
    async (request, reply) => {
      const user = signedIn(request);
      const { requestId, ...data } = request.body;
      const id = requestId ? `hh_${requestId.replaceAll("-", "").slice(0, 24)}` : randomId("hh_");
      // A replay answers with the household only to whoever may see it now (its creator is assigned to it).
      const replayed = async () => {
        const existing = await db.household.findUnique({ where: { id }, include: withCount });
        if (!existing) return null;
        await assertCanSeeHousehold(db, user, id).catch((error: unknown) => {
          throw isDomainError(error) ? new DomainError("request-id-taken") : error;
        });
        return existing;
      };
      const existing = requestId ? await replayed() : null;
      if (existing) return reply.status(200).send(toHouseholdView(existing));
      let created;
      try {
        created = await db.household.create({ data: { id, ...data }, include: withCount });
      } catch (error) {
        // The same retried request arriving twice at once: the first one created it.
        const raced = requestId && (error as { code?: string }).code === "P2002" ? await replayed() : null;
        if (raced) return reply.status(200).send(toHouseholdView(raced));
        throw error;
      }
      // An installer who creates a household in the field works in it: it is assigned to them.
      if (user.role === "installer")
        await db.installerAssignment.create({
          data: { id: randomId("asg_"), installerId: user.id, householdId: id, createdBy: user.id },
        });
      await audit(user.id, "household.create", id);
      return reply.status(201).send(toHouseholdView(created));
    },
  );
}

/** Households listed and read by whoever may see them. */
async function memberHouseholdsPage(
  reads: SqlReader,
  memberId: string,
  { village, limit, cursor }: { village?: string; limit: number; cursor?: string },
) {
  const offset = decodeCursor(cursor);
  const rows = await readMemberHouseholds(reads, { memberId, village, offset, limit });
  const total = await pageTotal(offset, limit, rows.length, () => countMemberHouseholds(reads, memberId, village));
  return { items: rows.map(toHouseholdView), total, nextCursor: nextCursor(offset, rows.length, total) };
}

function registerHouseholdRoutes(r: ZodRoutes, { db, reads }: HouseholdsPluginOptions): void {
  r.get(
    "/households",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Households (family members see their own)",
        querystring: householdListQuery,
        response: { 200: page(householdView), ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const user = signedIn(request);
      const { village, q, limit, cursor } = request.query;
      // A family member's own list (the home screen's first read) on the driver; searches through Prisma.
      if (user.role === "family" && !q) return memberHouseholdsPage(reads, user.id, request.query);
      const where: Prisma.HouseholdWhereInput = {};
      if (village) where.village = village;
      if (q)
        where.OR = [{ elderName: { contains: q } }, { village: { contains: q } }, { contactPhone: { contains: q } }];
      if (user.role === "family") where.id = { in: await householdIdsOf(db, user.id) };
      if (user.role === "installer") where.AND = [await installerHouseholds(db, user.id)];
      const offset = decodeCursor(cursor);
      const rows = await db.household.findMany({
        where,
        orderBy: [{ village: "asc" }, { createdAt: "asc" }],
        skip: offset,
        take: limit,
        include: withCount,
      });
      const total = await pageTotal(offset, limit, rows.length, () => db.household.count({ where }));
      return { items: rows.map(toHouseholdView), total, nextCursor: nextCursor(offset, rows.length, total) };
    },
  );

  r.get(
    "/households/:householdId",
    {
      schema: {
        tags: ["provisioning"],
        params: householdIdParams,
        response: { 200: householdDetailView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      await assertCanSeeHousehold(db, signedIn(request), request.params.householdId);
      const h = await db.household.findUniqueOrThrow({
        where: { id: request.params.householdId },
        include: { ...withCount, members: { include: { user: true } } },
      });
      return {
        ...toHouseholdView(h),
        members: h.members.map((m) => ({
          userId: m.userId,
          username: m.user.username,
          displayName: m.user.displayName,
          relation: m.relation,
          phone: m.user.phone && m.user.phoneVerifiedAt ? maskPhone(m.user.phone) : null,
        })),
      };
    },
  );
}

/** Who belongs to a household: added by staff or its installer, removed by them or by the member leaving. */
function registerMemberRoutes(r: ZodRoutes, { db, audit, liveSessions, cutViewer }: HouseholdsPluginOptions): void {
  r.post(
    "/households/:householdId/members",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Add a family member (an existing family account) to a household",
        params: householdIdParams,
        body: addMemberBody,
        response: { 204: z.null(), ...errors },
      },
      preHandler: requireRole("installer", "staff"),
    },
    async (request, reply) => {
      await assertCanSeeHousehold(db, signedIn(request), request.params.householdId);
      const user = await db.user.findUnique({ where: { username: request.body.username } });
      if (!user) throw notFoundError("user");
      if (user.role !== "family") throw new DomainError("not-family");
      await db.householdMember.upsert({
        where: { householdId_userId: { householdId: request.params.householdId, userId: user.id } },
        create: { householdId: request.params.householdId, userId: user.id, relation: request.body.relation ?? null },
        update: { relation: request.body.relation ?? null },
      });
      await audit(signedIn(request).id, "household.add-member", request.params.householdId, { userId: user.id });
      liveSessions.refreshUser(user.id);
      return reply.status(204).send(null);
    },
  );

  r.delete(
    "/households/:householdId/members/:userId",
    {
      schema: {
        tags: ["provisioning"],
        summary:
          "Remove a member from a household (staff, its installer, or the member leaving); their live views of its cameras end now",
        params: householdMemberParams,
        response: { 204: z.null(), ...errors },
      },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      const me = signedIn(request);
      const { householdId, userId } = request.params;
      // A member may always leave; removing someone else needs staff or the household's installer.
      if (!(me.role === "family" && me.id === userId)) {
        if (me.role === "family")
          throw new DomainError("forbidden", {
            message: "only staff or the household's installer can remove another member",
          });
        await assertCanSeeHousehold(db, me, householdId);
      }
      const removed = await db.householdMember.deleteMany({ where: { householdId, userId } });
      if (removed.count === 0) throw notFoundError("member of this household");
      liveSessions.refreshUser(userId);
      await cutViewer(userId, householdId);
      await audit(me.id, "household.remove-member", householdId, { userId });
      return reply.status(204).send(null);
    },
  );
}
