import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { sqliteFileFromUrl, defaultSqliteUrl } from "../core/database-url.ts";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "sqlite/schema.prisma",
  migrations: { path: "sqlite/migrations" },
  async adapter() {
    return new PrismaBetterSQLite3({ url: sqliteFileFromUrl(process.env.DATABASE_URL ?? defaultSqliteUrl) });
  },
});
