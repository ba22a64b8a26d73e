// Developer tool: after editing prisma/schema.template.prisma, writes a new migration for each provider.
// Usage: node --import tsx scripts/make-migration.ts <name>
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error("usage: make-migration.ts <snake_case_name>");
execFileSync("node", ["--import", "tsx", "scripts/prisma-schemas.ts"], { stdio: "inherit" });
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
for (const provider of ["sqlite", "postgresql"] as const) {
  const migrations = join("prisma", provider, "migrations");
  const hasHistory = existsSync(migrations) && readdirSync(migrations).some((d) => /^\d{14}_/.test(d));
  // Diffing from the existing migrations needs a shadow database; diffing a scratch database built from them is equivalent.
  const from = hasHistory ? ["--from-migrations", migrations] : ["--from-empty"];
  const url = provider === "sqlite" ? `file:${join(mkdtempSync(join(tmpdir(), "wx-")), "shadow.db")}` : process.env.SHADOW_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
  const sql = execFileSync("node_modules/.bin/prisma", ["migrate", "diff", "--config", `prisma/${provider}.config.ts`, ...from, "--to-schema-datamodel", `prisma/${provider}/schema.prisma`, "--script"], { env: { ...process.env, DATABASE_URL: url } }).toString();
  const dir = join(migrations, `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "migration.sql"), sql);
  console.log(`wrote ${dir}/migration.sql`);
}
