// npm run admin -- <command>: account administration on the server (README "Deploying").
//   create-user --role staff|installer --username NAME [--display-name TEXT] [--generate]
//   list-users [--role ROLE]
//   reset-password --username NAME [--generate]
// A new password is asked for on a terminal, read from the first line of a pipe, or generated (--generate)
// and printed once. DATABASE_URL as for the gateway.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { createDatabase, type Database } from "../../core/database.ts";
import { defaultSqliteUrl, providerOf, sqliteFileFromUrl } from "../../core/database-url.ts";
import { generatePassword, promptNewPassword, readPasswordFromPipe } from "./password-input.ts";
import { AdminError, createUser, listUsers, resetPassword } from "./users.ts";

const usage = `usage: npm run admin -- <command>
  create-user --role staff|installer --username NAME [--display-name TEXT] [--generate]
  list-users [--role staff|installer|family]
  reset-password --username NAME [--generate]
The password is asked for (twice, hidden) on a terminal, read from the first line of stdin when piped,
or generated with --generate and printed once. It is never taken from the command line.`;

const options = {
  role: { type: "string" },
  username: { type: "string" },
  "display-name": { type: "string" },
  generate: { type: "boolean" },
  password: { type: "string" },
  help: { type: "boolean" },
} as const;

function databaseUrl(): string {
  const url = z.string().optional().parse(process.env.DATABASE_URL) || defaultSqliteUrl;
  if (providerOf(url) === "sqlite" && !existsSync(sqliteFileFromUrl(url))) {
    throw new AdminError(
      `no database at ${sqliteFileFromUrl(url)}: start the gateway once (it migrates), or set DATABASE_URL`,
    );
  }
  return url;
}

async function newPassword(generate: boolean | undefined): Promise<{ password: string; generated: boolean }> {
  if (generate) return { password: generatePassword(), generated: true };
  if (process.stdin.isTTY)
    return { password: await promptNewPassword(process.stdin, process.stderr), generated: false };
  return { password: await readPasswordFromPipe(process.stdin), generated: false };
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new AdminError(`--${flag} is required\n${usage}`);
  return value;
}

async function run(
  db: Database,
  command: string | undefined,
  values: ReturnType<typeof parse>["values"],
): Promise<void> {
  if (values.password !== undefined) {
    throw new AdminError(
      "--password is refused: a password on the command line lands in shell history and `ps`. Pipe it on stdin, answer the prompt, or use --generate",
    );
  }
  switch (command) {
    case "create-user": {
      const username = required(values.username, "username");
      const role = required(values.role, "role") as "staff" | "installer";
      const { password, generated } = await newPassword(values.generate);
      const user = await createUser(db, { username, role, displayName: values["display-name"], password });
      console.log(`Created ${user.role} account ${user.username} (${user.id}).`);
      if (generated) console.log(`Password (shown once, store it now): ${password}`);
      return;
    }
    case "reset-password": {
      const username = required(values.username, "username");
      const { password, generated } = await newPassword(values.generate);
      const { revokedSessions } = await resetPassword(db, username, password);
      console.log(`Password of ${username} changed; ${revokedSessions} session(s) signed out.`);
      if (generated) console.log(`Password (shown once, store it now): ${password}`);
      return;
    }
    case "list-users": {
      const rows = await listUsers(db, values.role);
      for (const u of rows)
        console.log(
          `${u.role.padEnd(9)} ${u.username.padEnd(24)} ${u.createdAt.toISOString().slice(0, 10)}  ${u.activeSessions} active session(s)  ${u.displayName}`,
        );
      console.log(`${rows.length} account(s)`);
      return;
    }
    default:
      throw new AdminError(command ? `unknown command ${command}\n${usage}` : usage);
  }
}

function parse() {
  return parseArgs({ args: process.argv.slice(2), options, allowPositionals: true, strict: true });
}

let parsed;
try {
  parsed = parse();
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (parsed.values.help) {
  console.log(usage);
  process.exit(0);
}
let db: Database | undefined;
try {
  db = createDatabase(databaseUrl());
  await run(db, parsed.positionals[0], parsed.values);
} catch (error) {
  const message =
    error instanceof z.ZodError ? error.issues.map((i) => i.message).join("; ") : (error as Error).message;
  console.error(message);
  process.exitCode = error instanceof AdminError || error instanceof z.ZodError ? 2 : 1;
} finally {
  await db?.$disconnect();
}
