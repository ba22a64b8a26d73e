// Account administration from the server's shell: the first staff account of a deployment (demo data is off
// there) and password resets. Passwords are hashed exactly as the gateway hashes them (core/secrets.ts).
import { z } from "zod";
import type { Database } from "../../core/database.ts";
import { hashSecret, randomId } from "../../core/secrets.ts";
import { SESSION_MEMORY_MS } from "../../core/session-memory.ts";
import { staffPassword } from "../../protocol/accounts.ts";
import { MIN_PASSWORD_LENGTH, weakPasswordReason } from "../../protocol/password-rules.ts";
import { registerBody } from "../../protocol/invites.ts";

// Families join through invites; these commands make the accounts that run the service.
export const adminRole = z.enum(["staff", "installer"], {
  error: "role must be staff or installer (families join through invites)",
});
export const username = registerBody.shape.username;
export const displayName = registerBody.shape.displayName;
// Stricter than a family account's: these accounts see and command the whole fleet.
/** The gateway's rules for a password someone chooses (protocol/password-rules.ts), at the work accounts' length. */
export const password = staffPassword.refine((value) => weakPasswordReason(value, MIN_PASSWORD_LENGTH.work) === null, {
  message:
    "the password is too easy to guess (one character repeated, a sequence, a repeated pattern or a common password)",
});

export class AdminError extends Error {
  override name = "AdminError";
}

export interface NewUser {
  username: string;
  role: z.infer<typeof adminRole>;
  displayName?: string;
  password: string;
}

export async function createUser(
  db: Database,
  input: NewUser,
): Promise<{ id: string; username: string; role: string }> {
  const name = username.parse(input.username);
  if (await db.user.findUnique({ where: { username: name } }))
    throw new AdminError(`user ${name} already exists (reset-password changes its password)`);
  const user = await db.user.create({
    data: {
      id: randomId("usr_"),
      username: name,
      displayName: displayName.parse(input.displayName ?? name),
      role: adminRole.parse(input.role),
      passwordHash: await hashSecret(password.parse(input.password)),
    },
  });
  return { id: user.id, username: user.username, role: user.role };
}

export interface UserRow {
  username: string;
  role: string;
  displayName: string;
  createdAt: Date;
  activeSessions: number;
}

export async function listUsers(db: Database, role?: string): Promise<UserRow[]> {
  const now = new Date();
  const users = await db.user.findMany({
    where: role ? { role } : {},
    orderBy: [{ role: "asc" }, { username: "asc" }],
    include: { _count: { select: { sessions: { where: { revokedAt: null, expiresAt: { gt: now } } } } } },
  });
  return users.map((u) => ({
    username: u.username,
    role: u.role,
    displayName: u.displayName,
    createdAt: u.createdAt,
    activeSessions: u._count.sessions,
  }));
}

/** Sets a new password and signs the account out everywhere (its old password may be what leaked). */
export async function resetPassword(
  db: Database,
  name: string,
  newPassword: string,
): Promise<{ revokedSessions: number }> {
  const user = await db.user.findUnique({ where: { username: name } });
  if (!user) throw new AdminError(`no user ${name}`);
  const passwordHash = await hashSecret(password.parse(newPassword));
  const [, revoked] = await db.$transaction([
    db.user.update({ where: { id: user.id }, data: { passwordHash } }),
    db.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: new Date() } }),
  ]);
  // Gateways remember a live session for a moment without asking the database; once that has passed, none
  // accepts these sessions any more, and only then are they signed out (core/session-memory.ts).
  await new Promise((resolve) => setTimeout(resolve, SESSION_MEMORY_MS));
  return { revokedSessions: revoked.count };
}
