// Who may see and change which camera or household. Staff: the whole fleet. Installers: fleet health, and
// work (members, invites, cameras, test views) only in the households staff assigned them — by village or
// one by one — and those they created. Family members: their own households.
import type { Prisma } from "../../core/database.ts";
import type { SignedInUser } from "./plugins/auth.ts";
import type { GatewayContext } from "./context.ts";
import { ApiError, forbidden, notFound } from "./errors.ts";

export const notAssigned = () => new ApiError(403, "not-assigned", "you are not assigned to this household; county staff can assign you");

export async function householdIdsOf(ctx: GatewayContext, userId: string): Promise<string[]> {
  const rows = await ctx.db.householdMember.findMany({ where: { userId }, select: { householdId: true } });
  return rows.map((r) => r.householdId);
}

/** The households an installer may work in, as a filter. */
export async function installerHouseholds(ctx: GatewayContext, installerId: string): Promise<Prisma.HouseholdWhereInput> {
  const rows = await ctx.db.installerAssignment.findMany({ where: { installerId }, select: { village: true, householdId: true } });
  const villages = rows.flatMap((r) => (r.village ? [r.village] : []));
  const ids = rows.flatMap((r) => (r.householdId ? [r.householdId] : []));
  return { OR: [{ id: { in: ids } }, { village: { in: villages } }] };
}

export async function installerMayWorkIn(ctx: GatewayContext, installerId: string, householdId: string): Promise<boolean> {
  const scope = await installerHouseholds(ctx, installerId);
  return (await ctx.db.household.count({ where: { AND: [{ id: householdId }, scope] } })) > 0;
}

/** Reads and writes on a household: its members (404 to others, to hide it), assigned installers, staff. */
export async function assertCanSeeHousehold(ctx: GatewayContext, user: SignedInUser, householdId: string): Promise<void> {
  const household = await ctx.db.household.findUnique({ where: { id: householdId }, select: { id: true } });
  if (!household) throw notFound("household");
  if (user.role === "staff") return;
  if (user.role === "installer") {
    if (!(await installerMayWorkIn(ctx, user.id, householdId))) throw notAssigned();
    return;
  }
  const member = await ctx.db.householdMember.findUnique({ where: { householdId_userId: { householdId, userId: user.id } } });
  if (!member) throw notFound("household"); // not "forbidden": do not reveal that it exists
}

/** Fleet health of a camera: staff and installers everywhere, family members in their households. */
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

/** Changing a camera (re-arm, remove, replace, move): staff, or an installer assigned to its household. */
export async function assertCanWorkOnDevice(ctx: GatewayContext, user: SignedInUser, deviceId: string): Promise<{ householdId: string | null; connection: string; claimState: string }> {
  const device = await ctx.db.device.findUnique({ where: { id: deviceId }, select: { householdId: true, connection: true, claimState: true } });
  if (!device) throw notFound("camera");
  if (user.role === "installer" && (!device.householdId || !(await installerMayWorkIn(ctx, user.id, device.householdId)))) throw notAssigned();
  return device;
}

export function assertStaffOrInstaller(user: SignedInUser): void {
  if (user.role === "family") throw forbidden("this needs the installer or staff role");
}
