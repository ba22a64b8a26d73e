// Who may see which camera or household: staff and installers the whole fleet, family members their own households.
import type { SignedInUser } from "./plugins/auth.ts";
import type { GatewayContext } from "./context.ts";
import { forbidden, notFound } from "./errors.ts";

export async function householdIdsOf(ctx: GatewayContext, userId: string): Promise<string[]> {
  const rows = await ctx.db.householdMember.findMany({ where: { userId }, select: { householdId: true } });
  return rows.map((r) => r.householdId);
}

export async function assertCanSeeHousehold(ctx: GatewayContext, user: SignedInUser, householdId: string): Promise<void> {
  const household = await ctx.db.household.findUnique({ where: { id: householdId }, select: { id: true } });
  if (!household) throw notFound("household");
  if (user.role !== "family") return;
  const member = await ctx.db.householdMember.findUnique({ where: { householdId_userId: { householdId, userId: user.id } } });
  if (!member) throw notFound("household"); // not "forbidden": do not reveal that it exists
}

export async function assertCanSeeDevice(ctx: GatewayContext, user: SignedInUser, deviceId: string): Promise<{ householdId: string | null }> {
  const device = await ctx.db.device.findUnique({ where: { id: deviceId }, select: { householdId: true } });
  if (!device) throw notFound("camera");
  if (user.role === "family") {
    if (!device.householdId) throw notFound("camera");
    const member = await ctx.db.householdMember.findUnique({ where: { householdId_userId: { householdId: device.householdId, userId: user.id } } });
    if (!member) throw notFound("camera");
  }
  return device;
}

export function assertStaffOrInstaller(user: SignedInUser): void {
  if (user.role === "family") throw forbidden("this needs the installer or staff role");
}
