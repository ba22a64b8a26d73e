// Reads on the database driver, beside Prisma, for the few hottest lists (README, "Hot reads on the driver"):
// Prisma 6.19 compiles every query on the event loop and maps every column, ~2–3 ms of CPU for a page of 50
// cameras that costs 0.4 ms through better-sqlite3. SQLite: a connection of its own on the same file (WAL lets it
// read while Prisma and the ingest worker write), read-only by pragma. PostgreSQL: a small node-postgres pool.
// Statements are written once with `?` placeholders in SQL both accept; each feature keeps its SQL in its store.
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { postgresConnection, providerOf, sqliteFileFromUrl, type DatabaseProvider } from "./database-url.ts";

export interface SqlReader {
  readonly provider: DatabaseProvider;
  /** Rows as the driver gives them: see `sqlBoolean` and `sqlDate` for the columns the two differ on. */
  all<Row>(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /**
   * Rows as arrays, in the order of the SELECT's columns: for wide pages (the device list), where the driver builds
   * an array for half the CPU of an object with the same 25 columns.
   */
  tuples<Row extends readonly unknown[]>(sql: string, params: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** SQLite stores booleans as 0/1, PostgreSQL gives booleans. */
export const sqlBoolean = (value: unknown): boolean => value === true || value === 1;

/** SQLite holds Prisma's DateTime as ISO 8601 text, PostgreSQL (parsed as UTC below) as a Date. */
export const sqlDate = (value: unknown): Date | null =>
  value === null || value === undefined ? null : value instanceof Date ? value : new Date(value as string);

/**
 * A time as a statement parameter: SQLite compares Prisma's ISO text ("…+00:00", as its adapter writes it) as
 * strings; PostgreSQL reads the ISO text into `timestamp(3)`, which holds UTC.
 */
export const sqlTime = (reads: Pick<SqlReader, "provider">, at: Date): string =>
  reads.provider === "sqlite" ? at.toISOString().replace("Z", "+00:00") : at.toISOString();

/** COUNT(*): a number in SQLite, a bigint as text from node-postgres. */
export const sqlCount = (value: unknown): number => Number(value);

export function createSqlReader(url: string, options: { pgSchema?: string } = {}): SqlReader {
  return providerOf(url) === "postgresql"
    ? postgresReader(url, options.pgSchema)
    : sqliteReader(sqliteFileFromUrl(url));
}

/** Opened at the first read: the gateway creates the file (migrations) after this reader is made. */
function sqliteReader(file: string): SqlReader {
  let connection: BetterSqlite3.Database | null = null;
  const statements = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  const arrayStatements = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  const open = () => {
    connection = new BetterSqlite3(file, { fileMustExist: true });
    connection.pragma("busy_timeout = 5000");
    connection.pragma("query_only = 1");
    return connection;
  };
  const statement = (cache: typeof statements, sql: string, asArrays: boolean) => {
    let prepared = cache.get(sql);
    if (!prepared) {
      prepared = (connection ?? open()).prepare<unknown[]>(sql).raw(asArrays);
      cache.set(sql, prepared);
    }
    return prepared;
  };
  return {
    provider: "sqlite",
    async all<Row>(sql: string, params: readonly unknown[]) {
      return statement(statements, sql, false).all(...params) as Row[];
    },
    async tuples<Row extends readonly unknown[]>(sql: string, params: readonly unknown[]) {
      return statement(arrayStatements, sql, true).all(...params) as Row[];
    },
    async close() {
      statements.clear();
      arrayStatements.clear();
      connection?.close();
      connection = null;
    },
  };
}

/**
 * Prisma's DateTime columns are `timestamp(3)` holding UTC; node-postgres would read them in the machine's time
 * zone. This pool's parser reads them as UTC (the ingest worker's SQL says AT TIME ZONE 'UTC' instead).
 */
const utcTimestamps = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.TIMESTAMP && format !== "binary"
      ? (text: string) => new Date(`${text.replace(" ", "T")}Z`)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

function postgresReader(url: string, pgSchema?: string): SqlReader {
  const { schema, ...connection } = postgresConnection(url, pgSchema);
  const pool = new pg.Pool({
    ...connection,
    max: 4,
    application_name: schema ? `wangxiang-reads:${schema}`.slice(0, 63) : "wangxiang-reads",
    types: utcTimestamps,
  });
  // An idle client that loses its server is replaced at the next read; without a listener it would end the process.
  pool.on("error", () => undefined);
  const texts = new Map<string, { name: string; text: string }>();
  const prepared = (sql: string) => {
    let entry = texts.get(sql);
    if (!entry) {
      let n = 0;
      // Named: each connection parses and plans the statement once.
      entry = { name: `wx_read_${texts.size}`, text: sql.replace(/\?/g, () => `$${++n}`) };
      texts.set(sql, entry);
    }
    return entry;
  };
  return {
    provider: "postgresql",
    async all<Row>(sql: string, params: readonly unknown[]) {
      const result = await pool.query({ ...prepared(sql), values: params as unknown[] });
      return result.rows as Row[];
    },
    async tuples<Row extends readonly unknown[]>(sql: string, params: readonly unknown[]) {
      const result = await pool.query({ ...prepared(sql), values: params as unknown[], rowMode: "array" });
      return result.rows as unknown as Row[];
    },
    async close() {
      await pool.end();
    },
  };
}
