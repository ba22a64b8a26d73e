// Generates both Prisma clients and applies migrations to DATABASE_URL (default: the SQLite file
// under ./data/). Run by `npm install` (postinstall) and by `npm start`, so a fresh clone needs nothing else.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultSqliteUrl, providerOf, sqliteFileFromUrl } from "../core/database-url.ts";
import { applyPostgresMigrations } from "../core/postgres-migrations.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const prismaBin = join(root, "node_modules", ".bin", "prisma");
const databaseUrl = process.env.DATABASE_URL || defaultSqliteUrl;
const provider = providerOf(databaseUrl);
// prisma generate reads env("DATABASE_URL") from the schema but never connects; any URL of the right shape will do.
const placeholderUrl = { sqlite: defaultSqliteUrl, postgresql: "postgresql://localhost/placeholder" } as const;

// Prisma's own output is long and warns about the schema's url (only the adapter is used): show it only on failure.
function prisma(args: string[], env: Record<string, string>): void {
  const run = spawnSync(prismaBin, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  if (run.status !== 0) {
    process.stderr.write(run.stdout);
    process.stderr.write(run.stderr);
    console.error(`prisma ${args.join(" ")} failed (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
}

const skipGenerate = process.argv.includes("--deploy-only");
if (!skipGenerate) {
  for (const p of ["sqlite", "postgresql"] as const) {
    prisma(["generate", "--config", `prisma/${p}.config.ts`], { DATABASE_URL: placeholderUrl[p] });
  }
  console.log("Prisma clients generated (generated/sqlite, generated/postgresql).");
}
if (provider === "sqlite") {
  mkdirSync(dirname(join(root, sqliteFileFromUrl(databaseUrl))), { recursive: true });
  prisma(["migrate", "deploy", "--config", "prisma/sqlite.config.ts"], { DATABASE_URL: databaseUrl });
  console.log(`SQLite database ${sqliteFileFromUrl(databaseUrl)} is migrated.`);
} else {
  const applied = await applyPostgresMigrations(databaseUrl, join(root, "prisma/postgresql/migrations"));
  console.log(
    applied.length ? `Applied PostgreSQL migrations: ${applied.join(", ")}` : "PostgreSQL schema is up to date.",
  );
}
