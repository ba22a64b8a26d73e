// Who may see which camera or household: staff and installers the whole fleet, family members their own households.
import type { SignedInUser } from "./auth.ts";
import type { Database } from "../../../core/database.ts";
import { forbidden, notFound } from "../http/errors.ts";

export async function householdIdsOf(db: Database, userId: string): Promise<string[]> {
  const rows = await db.householdMember.findMany({ where: { userId }, select: { householdId: true } });
  return rows.map((r) => r.householdId);
}

export async function assertCanSeeHousehold(db: Database, user: SignedInUser, householdId: string): Promise<void> {
  const household = await db.household.findUnique({ where: { id: householdId }, select: { id: true } });
  if (!household) throw notFound("household");
  if (user.role !== "family") return;
  const member = await db.householdMember.findUnique({ where: { householdId_userId: { householdId, userId: user.id } } });
  if (!member) throw notFound("household"); // not "forbidden": do not reveal that it exists
}

export async function assertCanSeeDevice(db: Database, user: SignedInUser, deviceId: string): Promise<{ householdId: string | null }> {
  const device = await db.device.findUnique({ where: { id: deviceId }, select: { householdId: true } });
  if (!device) throw notFound("camera");
  if (user.role === "family") {
    if (!device.householdId) throw notFound("camera");
    const member = await db.householdMember.findUnique({ where: { householdId_userId: { householdId: device.householdId, userId: user.id } } });
    if (!member) throw notFound("camera");
  }
  return device;
}

export function assertStaffOrInstaller(user: SignedInUser): void {
  if (user.role === "family") throw forbidden("this needs the installer or staff role");
}
