// Developer tool: after editing prisma/schema.template.prisma, writes a new migration for each provider.
// Usage: node --import tsx scripts/make-migration.ts <name>
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error("usage: make-migration.ts <snake_case_name>");
execFileSync("node", ["--import", "tsx", "scripts/prisma-schemas.ts"], { stdio: "inherit" });
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
// Prisma cannot diff from the migration history or a URL when a driver adapter is configured, so each
// provider keeps migrated.prisma: the schema as of its newest migration. The next migration is the diff
// from that snapshot to the current schema, and the snapshot moves forward.
for (const provider of ["sqlite", "postgresql"] as const) {
  const folder = join("prisma", provider);
  const snapshot = join(folder, "migrated.prisma");
  const from = existsSync(snapshot) ? ["--from-schema-datamodel", snapshot] : ["--from-empty"];
  // Nothing is written, but the PostgreSQL adapter connects even to diff two schema files.
  const url =
    provider === "sqlite"
      ? "file:./data/placeholder.db"
      : (process.env.SHADOW_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test");
  const sql = execFileSync(
    "node_modules/.bin/prisma",
    [
      "migrate",
      "diff",
      "--config",
      `prisma/${provider}.config.ts`,
      ...from,
      "--to-schema-datamodel",
      join(folder, "schema.prisma"),
      "--script",
    ],
    { env: { ...process.env, DATABASE_URL: url } },
  ).toString();
  if (!/\b(CREATE|ALTER|DROP)\b/.test(sql)) {
    console.log(`${provider}: no changes`);
    continue;
  }
  const dir = join(folder, "migrations", `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "migration.sql"), sql);
  copyFileSync(join(folder, "schema.prisma"), snapshot);
  console.log(`wrote ${dir}/migration.sql`);
}
