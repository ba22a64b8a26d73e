// Households (an elder's home, in a village) and who belongs to them: who may create, list and read them, and
// who may add or remove a member. A member removed loses their live views of the household's cameras at once.
import type { z } from "zod";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import { randomId } from "../../../core/secrets.ts";
import { DomainError, isDomainError, notFoundError } from "../../../protocol/errors.ts";
import type { householdBody, householdListQuery } from "../../../protocol/http.ts";
import { maskPhone } from "../../../protocol/phone.ts";
import type { LiveSessions } from "../events/live-sessions.ts";
import { decodeCursor, nextCursor, pageTotal } from "../http/pagination.ts";
import { toHouseholdView } from "../http/views.ts";
import { assertCanSeeHousehold, householdIdsOf, installerHouseholds } from "./access.ts";
import type { AuditLog } from "./audit.ts";
import {
  countMemberHouseholds,
  HouseholdStore,
  readMemberHouseholds,
  type HouseholdFilter,
} from "./household-store.ts";
import type { SignedInUser } from "./sessions.ts";

export interface HouseholdServiceOptions {
  db: Database;
  /** The driver's reads: a family member's own list (household-store.ts). */
  reads: SqlReader;
  audit: AuditLog;
  /** A member's live sockets re-read their households when membership changes. */
  liveSessions: LiveSessions;
  /** Ends a person's live views of one household's cameras (absent without the relay). */
  cutViewer(userId: string, householdId: string): Promise<void>;
}

type HouseholdView = ReturnType<typeof toHouseholdView>;

export class HouseholdService {
  readonly #o: HouseholdServiceOptions;
  readonly #store: HouseholdStore;

  constructor(options: HouseholdServiceOptions) {
    this.#o = options;
    this.#store = new HouseholdStore(options.db);
  }

  /**
   * A household created in the field, once per requestId: `created` is false for a repeat, which answers with
   * the household only to whoever may see it now. An installer who creates one works in it: it is assigned to them.
   */
  async create(
    user: SignedInUser,
    body: z.infer<typeof householdBody>,
  ): Promise<{ household: HouseholdView; created: boolean }> {
    const { requestId, ...data } = body;
    const id = requestId ? `hh_${requestId.replaceAll("-", "").slice(0, 24)}` : randomId("hh_");
    const existing = requestId ? await this.#replayed(user, id) : null;
    if (existing) return { household: existing, created: false };
    let created;
    try {
      created = await this.#store.create(id, data);
    } catch (error) {
      // The same retried request arriving twice at once: the first one created it.
      const raced = requestId && (error as { code?: string }).code === "P2002" ? await this.#replayed(user, id) : null;
      if (raced) return { household: raced, created: false };
      throw error;
    }
    if (user.role === "installer") await this.#store.assignInstaller(randomId("asg_"), user.id, id);
    await this.#o.audit(user.id, "household.create", id);
    return { household: toHouseholdView(created), created: true };
  }

  /** The household a repeated request created, if it exists; whoever may not see it is told the id is taken. */
  async #replayed(user: SignedInUser, id: string): Promise<HouseholdView | null> {
    const existing = await this.#store.byId(id);
    if (!existing) return null;
    await assertCanSeeHousehold(this.#o.db, user, id).catch((error: unknown) => {
      throw isDomainError(error) ? new DomainError("request-id-taken") : error;
    });
    return toHouseholdView(existing);
  }

  /** Households the user may see (family members their own, installers those they work in), a page at a time. */
  async list(user: SignedInUser, query: z.infer<typeof householdListQuery>) {
    const { village, q, limit, cursor } = query;
    // A family member's own list (the home screen's first read) on the driver; searches through Prisma.
    if (user.role === "family" && !q) return this.#memberList(user.id, query);
    const filter: HouseholdFilter = { village, q };
    if (user.role === "family") filter.ids = await householdIdsOf(this.#o.db, user.id);
    if (user.role === "installer") filter.within = await installerHouseholds(this.#o.db, user.id);
    const offset = decodeCursor(cursor);
    const { rows, count } = await this.#store.page(filter, offset, limit);
    const total = await pageTotal(offset, limit, rows.length, count);
    return { items: rows.map(toHouseholdView), total, nextCursor: nextCursor(offset, rows.length, total) };
  }

  async #memberList(memberId: string, { village, limit, cursor }: z.infer<typeof householdListQuery>) {
    const { reads } = this.#o;
    const offset = decodeCursor(cursor);
    const rows = await readMemberHouseholds(reads, { memberId, village, offset, limit });
    const total = await pageTotal(offset, limit, rows.length, () => countMemberHouseholds(reads, memberId, village));
    return { items: rows.map(toHouseholdView), total, nextCursor: nextCursor(offset, rows.length, total) };
  }

  /** One household with its members, by display name (phones masked, and only verified ones). */
  async detail(user: SignedInUser, householdId: string) {
    await assertCanSeeHousehold(this.#o.db, user, householdId);
    const h = await this.#store.withMembers(householdId);
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
  }

  /** Staff or the household's installer add an existing family account (again: its relation changes). */
  async addMember(actor: SignedInUser, householdId: string, username: string, relation: string | undefined) {
    await assertCanSeeHousehold(this.#o.db, actor, householdId);
    const user = await this.#store.userByUsername(username);
    if (!user) throw notFoundError("user");
    if (user.role !== "family") throw new DomainError("not-family");
    await this.#store.setMember(householdId, user.id, relation ?? null);
    await this.#o.audit(actor.id, "household.add-member", householdId, { userId: user.id });
    this.#o.liveSessions.refreshUser(user.id);
  }

  /** A member may always leave; removing someone else needs staff or the household's installer. */
  async removeMember(actor: SignedInUser, householdId: string, userId: string): Promise<void> {
    if (!(actor.role === "family" && actor.id === userId)) {
      if (actor.role === "family")
        throw new DomainError("forbidden", {
          message: "only staff or the household's installer can remove another member",
        });
      await assertCanSeeHousehold(this.#o.db, actor, householdId);
    }
    if (!(await this.#store.removeMember(householdId, userId))) throw notFoundError("member of this household");
    this.#o.liveSessions.refreshUser(userId);
    await this.#o.cutViewer(userId, householdId);
    await this.#o.audit(actor.id, "household.remove-member", householdId, { userId });
  }
}
