// One Prisma client for either provider. Both generated clients come from the same data model,
// so the SQLite client's type describes the PostgreSQL one too.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient } from "../generated/sqlite/client.ts";
import { PrismaClient as PostgresClient } from "../generated/postgresql/client.ts";
import { postgresConnection, providerOf, sqliteFileFromUrl } from "./database-url.ts";

export type Database = SqliteClient;
export type { Prisma } from "../generated/sqlite/client.ts";

/**
 * PostgreSQL: the schema is options.pgSchema, or the `schema` parameter of the URL (Prisma's convention,
 * postgresql://host/db?schema=name, how processes such as broker/src/main.ts are told), which is taken out
 * before the URL reaches the driver.
 */
export function createDatabase(url: string, options: { pgSchema?: string } = {}): Database {
  if (providerOf(url) === "postgresql") {
    const { schema, ...connection } = postgresConnection(url, options.pgSchema);
    const adapter = new PrismaPg({ ...connection, max: 10 }, schema ? { schema } : undefined);
    return new PostgresClient({ adapter }) as unknown as Database;
  }
  const adapter = new PrismaBetterSQLite3({ url: sqliteFileFromUrl(url) });
  return new SqliteClient({ adapter });
}
