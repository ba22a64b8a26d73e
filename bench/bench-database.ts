// A fresh, migrated database for a benchmark run, SQLite or PostgreSQL, and its removal afterwards.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createDatabase, type Database } from "../core/database.ts";
import { applyPostgresMigrations } from "../core/postgres-migrations.ts";
import { randomId } from "../core/secrets.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface BenchDatabase {
  provider: "sqlite" | "postgresql";
  /** DATABASE_URL for the gateway and other processes (PostgreSQL: with ?schema=). */
  url: string;
  db: Database;
  migrateMs: number;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database: a SQLite file in a temp dir, or (--database postgres) a new schema in
 * TEST_DATABASE_URL's PostgreSQL (default postgresql://postgres@127.0.0.1:5432/test), dropped afterwards.
 */
export async function openBenchDatabase(kind: "sqlite" | "postgres"): Promise<BenchDatabase> {
  const migrateStart = performance.now();
  if (kind === "postgres") {
    const base = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
    const schema = randomId("bench_", 8).toLowerCase();
    await applyPostgresMigrations(base, join(root, "prisma/postgresql/migrations"), schema);
    const url = new URL(base);
    url.searchParams.set("schema", schema);
    const db = createDatabase(url.toString());
    const drop = async () => {
      await db.$disconnect().catch(() => undefined);
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    };
    return { provider: "postgresql", url: url.toString(), db, migrateMs: performance.now() - migrateStart, drop };
  }
  const dir = mkdtempSync(join(tmpdir(), "wx-bench-"));
  const url = `file:${join(dir, "bench.db")}`;
  const migrateMs = migrateBenchDatabase(url);
  const db = createDatabase(url);
  const drop = async () => {
    await db.$disconnect().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  return { provider: "sqlite", url, db, migrateMs, drop };
}

/** Applies the migrations to a fresh SQLite file; returns how long that took (ms). */
function migrateBenchDatabase(databaseUrl: string): number {
  const migrateStart = performance.now();
  const migrate = spawnSync(
    join(root, "node_modules", ".bin", "prisma"),
    ["migrate", "deploy", "--config", "prisma/sqlite.config.ts"],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: "pipe",
    },
  );
  if (migrate.status !== 0) throw new Error(`prisma migrate deploy failed:\n${migrate.stdout}\n${migrate.stderr}`);
  return performance.now() - migrateStart;
}
