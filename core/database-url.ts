// DATABASE_URL decides the provider: postgres:// or postgresql:// → PostgreSQL, file: (or a path) → SQLite.
export const defaultSqliteUrl = "file:./data/wangxiang.db";

export type DatabaseProvider = "sqlite" | "postgresql";

export function providerOf(url: string): DatabaseProvider {
  return /^postgres(ql)?:\/\//.test(url) ? "postgresql" : "sqlite";
}

export function sqliteFileFromUrl(url: string): string {
  return url.startsWith("file:") ? url.slice("file:".length) : url;
}

/**
 * A PostgreSQL URL as node-postgres takes it: Prisma's `schema` parameter (postgresql://host/db?schema=name)
 * taken out of the URL and put on the search path, so unqualified table names in raw SQL find the schema.
 */
export function postgresConnection(
  url: string,
  pgSchema?: string,
): { connectionString: string; options?: string; schema?: string } {
  const parsed = new URL(url);
  const schema = pgSchema ?? (parsed.searchParams.get("schema") || undefined);
  parsed.searchParams.delete("schema");
  const connectionString = parsed.toString();
  return schema ? { connectionString, options: `-c search_path="${schema}"`, schema } : { connectionString };
}
