// One Prisma client for either provider. Both generated clients come from the same data model,
// so the SQLite client's type describes the PostgreSQL one too.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient } from "../generated/sqlite/client.ts";
import { PrismaClient as PostgresClient } from "../generated/postgresql/client.ts";
import { providerOf, sqliteFileFromUrl } from "./database-url.ts";

export type Database = SqliteClient;
export type { Prisma } from "../generated/sqlite/client.ts";

/**
 * PostgreSQL: the schema is options.pgSchema, or the `schema` parameter of the URL (Prisma's convention,
 * postgresql://host/db?schema=name, how processes such as broker/src/main.ts are told), which is taken out
 * before the URL reaches the driver.
 */
export function createDatabase(url: string, options: { pgSchema?: string } = {}): Database {
  if (providerOf(url) === "postgresql") {
    const parsed = new URL(url);
    const pgSchema = options.pgSchema ?? (parsed.searchParams.get("schema") || undefined);
    parsed.searchParams.delete("schema");
    // Raw SQL (the heartbeat writer's multi-row INSERT) names tables unqualified: the schema must be on the search path too.
    const searchPath = pgSchema ? { options: `-c search_path="${pgSchema}"` } : {};
    const adapter = new PrismaPg(
      { connectionString: parsed.toString(), max: 10, ...searchPath },
      pgSchema ? { schema: pgSchema } : undefined,
    );
    return new PostgresClient({ adapter }) as unknown as Database;
  }
  const adapter = new PrismaBetterSQLite3({ url: sqliteFileFromUrl(url) });
  return new SqliteClient({ adapter });
}
