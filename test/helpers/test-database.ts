// A fresh, migrated database per test stack: a copy of the SQLite template, or a new PostgreSQL
// schema when TEST_DATABASE_URL points at PostgreSQL (how CI runs the suite a second time).
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { providerOf } from "../../core/database-url.ts";
import { createDatabase, type Database } from "../../core/database.ts";
import { applyPostgresMigrations } from "../../core/postgres-migrations.ts";
import { randomId } from "../../core/secrets.ts";
import { createSqlReader, type SqlReader } from "../../core/sql-reader.ts";

export interface TestDatabase {
  url: string;
  pgSchema?: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.TEST_DATABASE_URL;
  if (base && providerOf(base) === "postgresql") {
    const schema = randomId("t_", 10);
    await applyPostgresMigrations(base, join(process.cwd(), "prisma/postgresql/migrations"), schema);
    return {
      url: base,
      pgSchema: schema,
      async drop() {
        const client = new pg.Client({ connectionString: base });
        await client.connect();
        await client.query(`DROP SCHEMA "${schema}" CASCADE`);
        await client.end();
      },
    };
  }
  const file = join(process.cwd(), "data", "test", `${randomId("db_", 10)}.db`);
  copyFileSync(join(process.cwd(), "data", "test", "template.db"), file);
  return {
    url: `file:${file}`,
    async drop() {
      for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(file + suffix, { force: true });
    },
  };
}

export interface DriverAndPrisma {
  db: Database;
  reads: SqlReader;
  close(): Promise<void>;
}

/** A fresh database opened twice, through Prisma and through the driver: what the driver-read tests compare. */
export async function openDriverAndPrisma(): Promise<DriverAndPrisma> {
  const testDb = await createTestDatabase();
  const db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
  const reads = createSqlReader(testDb.url, { pgSchema: testDb.pgSchema });
  return {
    db,
    reads,
    async close() {
      await reads.close();
      await db.$disconnect();
      await testDb.drop();
    },
  };
}
