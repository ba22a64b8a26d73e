// Households (an elder's home, in a village) and who belongs to them. The rules are the household service's
// (household-service.ts); these routes check the input and the caller.
import type { SqlReader } from "../../../core/sql-reader.ts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Database } from "../../../core/database.ts";
import { householdMemberParams } from "../../../protocol/accounts.ts";
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
import type { LiveSessions } from "../events/live-sessions.ts";
import type { AuditLog } from "./audit.ts";
import { requireRole, signedIn } from "./signed-in.ts";
import { HouseholdService } from "./household-service.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply };

export interface HouseholdsPluginOptions {
  db: Database;
  /** The driver's reads: a family member's own list (household-store.ts). */
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
  const households = new HouseholdService(options);
  const r = zodRoutes(app);
  registerHouseholdCreation(r, households);
  registerHouseholdRoutes(r, households);
  registerMemberRoutes(r, households);
}

/** A household created in the field (idempotent with a requestId); an installer who creates one works in it. */
function registerHouseholdCreation(r: ZodRoutes, households: HouseholdService): void {
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
      const { household, created } = await households.create(signedIn(request), request.body);
      return reply.status(created ? 201 : 200).send(household);
    },
  );
}

/** Households listed and read by whoever may see them. */
function registerHouseholdRoutes(r: ZodRoutes, households: HouseholdService): void {
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
    async (request) => households.list(signedIn(request), request.query),
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
    async (request) => households.detail(signedIn(request), request.params.householdId),
  );
}

/** Who belongs to a household: added by staff or its installer, removed by them or by the member leaving. */
function registerMemberRoutes(r: ZodRoutes, households: HouseholdService): void {
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
      const { username, relation } = request.body;
      await households.addMember(signedIn(request), request.params.householdId, username, relation);
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
      await households.removeMember(signedIn(request), request.params.householdId, request.params.userId);
      return reply.status(204).send(null);
    },
  );
}
