// DATABASE_URL decides the provider: postgres:// or postgresql:// → PostgreSQL, file: (or a path) → SQLite.
export const defaultSqliteUrl = "file:./data/wangxiang.db";

export type DatabaseProvider = "sqlite" | "postgresql";

export function providerOf(url: string): DatabaseProvider {
  return /^postgres(ql)?:\/\//.test(url) ? "postgresql" : "sqlite";
}

export function sqliteFileFromUrl(url: string): string {
  return url.startsWith("file:") ? url.slice("file:".length) : url;
}
