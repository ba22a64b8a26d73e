// The access check every still, command and view of a camera makes, read on the database driver
// (core/sql-reader.ts): the camera's household and whether the asker is one of its members, one statement instead
// of Prisma's two queries (≈1.5 ms of the event loop for each still the family home screen shows). The Prisma
// version is what it is tested against (test/device-access.test.ts); the rules that use it are in access.ts.
import type { Database } from "../../../core/database.ts";
import { sqlBoolean, type SqlReader } from "../../../core/sql-reader.ts";

/** null: no such camera. `member`: the user is a member of the camera's household (never, without one). */
export type DeviceAccess = { householdId: string | null; member: boolean } | null;

const deviceAccessSql = `SELECT d."householdId",
    EXISTS (SELECT 1 FROM "HouseholdMember" m WHERE m."householdId" = d."householdId" AND m."userId" = ?) AS "member"
  FROM "Device" d WHERE d."id" = ?`;

export async function readDeviceAccess(reads: SqlReader, deviceId: string, userId: string): Promise<DeviceAccess> {
  const [row] = await reads.all<{ householdId: string | null; member: unknown }>(deviceAccessSql, [userId, deviceId]);
  return row ? { householdId: row.householdId, member: sqlBoolean(row.member) } : null;
}

/** The same read through Prisma (two queries): the reference the driver's rows are tested against. */
export async function prismaDeviceAccess(db: Database, deviceId: string, userId: string): Promise<DeviceAccess> {
  const device = await db.device.findUnique({ where: { id: deviceId }, select: { householdId: true } });
  if (!device) return null;
  if (!device.householdId) return { householdId: null, member: false };
  const member = await db.householdMember.findUnique({
    where: { householdId_userId: { householdId: device.householdId, userId } },
    select: { userId: true },
  });
  return { householdId: device.householdId, member: member !== null };
}
