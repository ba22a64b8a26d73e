// Wellbeing checks as stored rows and as the view every screen and message carries.
import type { Database } from "../../../core/database.ts";
import type {
  WellbeingAckView,
  WellbeingCheckKind,
  WellbeingCheckState,
  WellbeingCheckView,
} from "../../../protocol/wellbeing.ts";

export const ACTIVE_STATES: WellbeingCheckState[] = ["open", "escalated"];

export const checkInclude = {
  household: { select: { elderName: true, village: true, contactPhone: true, timeZone: true } },
  acks: { orderBy: { at: "asc" as const } },
};

type AckRow = { byName: string; role: string; answer: string; at: Date };
export type CheckRow = {
  id: string;
  householdId: string;
  kind: string;
  state: string;
  dueAt: Date;
  raisedAt: Date;
  lastActivityAt: Date | null;
  escalatedAt: Date | null;
  escalationReason: string | null;
  closedAt: Date | null;
  closedReason: string | null;
  title: string;
  body: string;
  household: { elderName: string; village: string; contactPhone: string; timeZone: string };
  acks: AckRow[];
};

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function toCheckView(row: CheckRow): WellbeingCheckView {
  return {
    id: row.id,
    householdId: row.householdId,
    elderName: row.household.elderName,
    village: row.household.village,
    contactPhone: row.household.contactPhone,
    kind: row.kind as WellbeingCheckKind,
    state: row.state as WellbeingCheckState,
    dueAt: row.dueAt.toISOString(),
    raisedAt: row.raisedAt.toISOString(),
    lastActivityAt: iso(row.lastActivityAt),
    escalatedAt: iso(row.escalatedAt),
    escalationReason: row.escalationReason as WellbeingCheckView["escalationReason"],
    closedAt: iso(row.closedAt),
    closedReason: row.closedReason as WellbeingCheckView["closedReason"],
    title: row.title,
    body: row.body,
    acks: row.acks.map((a): WellbeingAckView => ({
      byName: a.byName,
      role: a.role as WellbeingAckView["role"],
      answer: a.answer as WellbeingAckView["answer"],
      at: a.at.toISOString(),
    })),
  };
}

export async function loadCheck(db: Database, id: string): Promise<CheckRow | null> {
  return db.wellbeingCheck.findUnique({ where: { id }, include: checkInclude });
}

export async function activeCheckOf(db: Database, householdId: string): Promise<CheckRow | null> {
  return db.wellbeingCheck.findFirst({
    where: { householdId, state: { in: ACTIVE_STATES } },
    include: checkInclude,
    orderBy: { raisedAt: "desc" },
  });
}

/** The household's family members, and the people its village names for wellbeing (or, if none, all staff). */
export async function familyOf(db: Database, householdId: string): Promise<string[]> {
  const rows = await db.householdMember.findMany({ where: { householdId }, select: { userId: true } });
  return rows.map((r) => r.userId);
}

export async function villageContactsOf(db: Database, village: string): Promise<string[]> {
  const rows = await db.villageContact.findMany({ where: { village }, select: { userId: true } });
  if (rows.length > 0) return rows.map((r) => r.userId);
  const staff = await db.user.findMany({ where: { role: "staff", disabledAt: null }, select: { id: true } });
  return staff.map((s) => s.id);
}

export async function contactVillagesOf(db: Database, userId: string): Promise<string[]> {
  const rows = await db.villageContact.findMany({ where: { userId }, select: { village: true } });
  return rows.map((r) => r.village);
}
