// Who may see and change which camera or household. Staff: the whole fleet. Installers: fleet health, and
// work (members, invites, cameras, test views) only in the households staff assigned them — by village or
// one by one — and those they created. Family members: their own households.
import type { Database, Prisma } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import type { SignedInUser } from "./signed-in.ts";
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
import { readDeviceAccess } from "./device-access.ts";

/** What the camera checks read: Prisma, and the driver for the check every still and view makes. */
export interface AccessData {
  db: Database;
  reads: SqlReader;
}

export const notAssigned = () =>
  new DomainError("not-assigned", { message: "you are not assigned to this household; county staff can assign you" });

/** The one membership rule: a family member of this household (staff and installers are never members). */
export async function isHouseholdMember(db: Database, userId: string, householdId: string): Promise<boolean> {
  const member = await db.householdMember.findUnique({
    where: { householdId_userId: { householdId, userId } },
    select: { userId: true },
  });
  return member !== null;
}

export async function householdIdsOf(db: Database, userId: string): Promise<string[]> {
  const rows = await db.householdMember.findMany({ where: { userId }, select: { householdId: true } });
  return rows.map((r) => r.householdId);
}

/** The households an installer may work in, as a filter. */
export async function installerHouseholds(db: Database, installerId: string): Promise<Prisma.HouseholdWhereInput> {
  const rows = await db.installerAssignment.findMany({
    where: { installerId },
    select: { village: true, householdId: true },
  });
  const villages = rows.flatMap((r) => (r.village ? [r.village] : []));
  const ids = rows.flatMap((r) => (r.householdId ? [r.householdId] : []));
  return { OR: [{ id: { in: ids } }, { village: { in: villages } }] };
}

export async function installerMayWorkIn(db: Database, installerId: string, householdId: string): Promise<boolean> {
  const scope = await installerHouseholds(db, installerId);
  return (await db.household.count({ where: { AND: [{ id: householdId }, scope] } })) > 0;
}

/** Reads and writes on a household: its members (404 to others, to hide it), assigned installers, staff. */
export async function assertCanSeeHousehold(db: Database, user: SignedInUser, householdId: string): Promise<void> {
  const household = await db.household.findUnique({ where: { id: householdId }, select: { id: true } });
  if (!household) throw notFoundError("household");
  if (user.role === "staff") return;
  if (user.role === "installer") {
    if (!(await installerMayWorkIn(db, user.id, householdId))) throw notAssigned();
    return;
  }
  if (!(await isHouseholdMember(db, user.id, householdId))) throw notFoundError("household"); // not "forbidden": do not reveal that it exists
}

/** Fleet health of a camera: staff and installers everywhere, family members in their households. */
export async function assertCanSeeDevice(
  { reads }: AccessData,
  user: SignedInUser,
  deviceId: string,
): Promise<{ householdId: string | null }> {
  const device = await readDeviceAccess(reads, deviceId, user.id);
  if (!device) throw notFoundError("camera");
  if (user.role === "family" && !device.member) throw notFoundError("camera");
  return { householdId: device.householdId };
}

/**
 * What happens inside a home (commands to its camera, its stills): staff, an installer assigned to its
 * household now, its family members. Fleet health stays fleet-wide for installers; this does not.
 */
export async function assertCanReachIntoHome(
  data: AccessData,
  user: SignedInUser,
  deviceId: string,
): Promise<{ householdId: string | null }> {
  if (user.role === "installer") return assertCanWorkOnDevice(data.db, user, deviceId);
  return assertCanSeeDevice(data, user, deviceId);
}

/** The ids of the households an installer is assigned to now (for live events from inside those homes). */
export async function installerHouseholdIds(db: Database, installerId: string): Promise<string[]> {
  const rows = await db.household.findMany({ where: await installerHouseholds(db, installerId), select: { id: true } });
  return rows.map((r) => r.id);
}

/** Changing a camera (re-arm, remove, replace, move): staff, or an installer assigned to its household. */
export async function assertCanWorkOnDevice(
  db: Database,
  user: SignedInUser,
  deviceId: string,
): Promise<{ householdId: string | null; connection: string; claimState: string }> {
  const device = await db.device.findUnique({
    where: { id: deviceId },
    select: { householdId: true, connection: true, claimState: true },
  });
  if (!device) throw notFoundError("camera");
  if (
    user.role === "installer" &&
    (!device.householdId || !(await installerMayWorkIn(db, user.id, device.householdId)))
  )
    throw notAssigned();
  return device;
}
