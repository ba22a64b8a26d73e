// People are named on screens by their display names; records keep the login (stable, and what the audit
// trail uses). This turns the logins a reply mentions into display names, in one query.
import type { Database } from "../../../core/database.ts";

/** Login → display name for the given logins; a login with no account (a system actor) is left out. */
export async function displayNamesOf(db: Database, usernames: Iterable<string | null>): Promise<Map<string, string>> {
  const wanted = [...new Set([...usernames].filter((u): u is string => !!u))];
  if (wanted.length === 0) return new Map();
  const users = await db.user.findMany({
    where: { username: { in: wanted } },
    select: { username: true, displayName: true },
  });
  return new Map(users.map((u) => [u.username, u.displayName]));
}
