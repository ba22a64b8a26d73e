// The ingest worker's database, by provider: what one job's transaction needs, and nothing else.
import { providerOf, sqliteFileFromUrl } from "../../../../core/database-url.ts";
import type { IngestJob, JobOutcome } from "./protocol.ts";
import { SqliteIngestStore } from "./sqlite-store.ts";

export interface IngestStore {
  /** Writes the job in one transaction with its ledger row; a job already in the ledger returns its outcome again. */
  write(job: IngestJob): JobOutcome | Promise<JobOutcome>;
  pruneLedger(olderThanMs: number): void | Promise<void>;
  close(): void | Promise<void>;
}

/** PostgreSQL's store loads node-postgres: only when it is the provider (a worker starts faster without). */
export async function openIngestStore(databaseUrl: string): Promise<IngestStore> {
  if (providerOf(databaseUrl) !== "postgresql") return new SqliteIngestStore(sqliteFileFromUrl(databaseUrl));
  const { PostgresIngestStore } = await import("./postgres-store.ts");
  return new PostgresIngestStore(databaseUrl);
}
