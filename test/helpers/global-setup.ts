// Once per test run: a migrated SQLite template that each test database copies (prisma migrate deploy
// runs once, not per test), or a check that PostgreSQL answers when the suite runs against it.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { providerOf } from "../../core/database-url.ts";

export const templateSqlitePath = join(process.cwd(), "data", "test", "template.db");

export default async function globalSetup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (url && providerOf(url) === "postgresql") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.end();
    return;
  }
  rmSync(join(process.cwd(), "data", "test"), { recursive: true, force: true });
  mkdirSync(join(process.cwd(), "data", "test"), { recursive: true });
  execFileSync("node_modules/.bin/prisma", ["migrate", "deploy", "--config", "prisma/sqlite.config.ts"], {
    env: { ...process.env, DATABASE_URL: `file:${templateSqlitePath}` },
    stdio: "pipe",
  });
}
