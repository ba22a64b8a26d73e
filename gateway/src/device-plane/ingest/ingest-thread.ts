// The gateway's side of the ingest worker: jobs go to a worker thread (./worker-main.ts) that owns the database
// writes of heartbeats and statuses, so that the broker and gateway event loop only validates and posts.
// Every job is kept here until the worker answers; if the worker dies, a new one is started and gets every
// unanswered job again, in order (its ledger makes a job already committed take effect once). stop() drains.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type {
  FromIngestWorker,
  IngestJob,
  IngestWorkerData,
  JobOutcome,
  ToIngestWorker,
  WorkerHeap,
} from "./protocol.ts";

export interface IngestThreadLog {
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface IngestThreadOptions {
  databaseUrl: string;
  log: IngestThreadLog;
  /** A worker that died; `retried` jobs go to its successor. */
  onRestart?(retried: number): void;
  /** A job given up after dying with MAX_CRASHES_PER_JOB workers in a row (it is what kills them). */
  onAbandoned?(job: IngestJob): void;
}

interface Unanswered {
  job: IngestJob;
  crashes: number;
  resolve(outcome: JobOutcome): void;
  reject(error: Error): void;
}

const MAX_CRASHES_PER_JOB = 3;
/** Closing the database takes milliseconds; a worker stuck longer is ended. */
const CLOSE_GRACE_MS = 2000;
const RESTART_BACKOFF_MS = [0, 100, 500, 1000, 2000, 5000];

/** The worker runs TypeScript like the rest of the project: tsx's API loads its entry, whatever loaded ours. */
function workerBootstrap(): string {
  const tsxApiCjs = createRequire(import.meta.url).resolve("tsx/esm/api");
  // Its ESM build: the CommonJS one cannot register its loader from an eval'd worker.
  const tsxApi = pathToFileURL(tsxApiCjs.replace(/\.cjs$/, ".mjs")).href;
  const entry = new URL("./worker-main.ts", import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
}

export class IngestThread {
  private worker: Worker | null = null;
  private ready = false;
  private starting: Promise<void> | null = null;
  private readonly unanswered = new Map<string, Unanswered>();
  private drained: Array<() => void> = [];
  private heapRequests: Array<(heap: WorkerHeap | null) => void> = [];
  private stopping = false;
  private restarts = 0;

  constructor(private readonly o: IngestThreadOptions) {}

  /** Heartbeat rows handed to the worker and not yet committed (for the back-pressure bound and /metrics). */
  get queuedHeartbeats(): number {
    let rows = 0;
    for (const { job } of this.unanswered.values()) rows += job.heartbeats.length;
    return rows;
  }

  get unansweredJobs(): number {
    return this.unanswered.size;
  }

  start(): Promise<void> {
    this.starting ??= this.spawn();
    return this.starting;
  }

  submit(parts: Omit<IngestJob, "id">): Promise<JobOutcome> {
    if (this.stopping && this.worker === null) return Promise.reject(new Error("ingest worker stopped"));
    const job: IngestJob = { id: randomUUID(), ...parts };
    return new Promise<JobOutcome>((resolve, reject) => {
      this.unanswered.set(job.id, { job, crashes: 0, resolve, reject });
      if (this.ready) this.post(job);
      else void this.start().catch(() => undefined); // the first submit of a gateway never started (route tests)
    });
  }

  /** The worker's V8 heap (benchmarks count it in memory per connection); null without a ready worker. */
  heap(): Promise<WorkerHeap | null> {
    const worker = this.worker;
    if (!worker || !this.ready) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.heapRequests.push(resolve);
      worker.postMessage({ type: "heap" } satisfies ToIngestWorker);
    });
  }

  /** Waits until every job submitted so far is answered, then ends the worker. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.unanswered.size > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    const worker = this.worker;
    this.worker = null;
    this.ready = false;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.postMessage({ type: "close" } satisfies ToIngestWorker);
    const forced = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(forced);
  }

  /** What a crash looks like from here (the thread ends without being asked): fault tests use it. */
  async terminateWorkerAbruptly(): Promise<void> {
    await this.worker?.terminate();
  }

  private spawn(): Promise<void> {
    const workerData: IngestWorkerData = { databaseUrl: this.o.databaseUrl };
    const worker = new Worker(workerBootstrap(), { eval: true, workerData });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      worker.on("message", (message: FromIngestWorker) => {
        if (message.type === "ready") {
          this.ready = true;
          this.restarts = 0;
          for (const { job } of this.unanswered.values()) this.post(job);
          resolve();
        } else if (message.type === "start-failed") reject(new Error(`ingest worker: ${message.message}`));
        else if (message.type === "heap") this.heapRequests.shift()?.(message.heap);
        else this.answer(message);
      });
      worker.on("error", (error) => this.o.log.error({ err: error }, "ingest worker failed"));
      worker.on("exit", (code) => {
        reject(new Error(`ingest worker exited (code ${code}) before it was ready`));
        this.onExit(worker, code);
      });
    });
  }

  private post(job: IngestJob): void {
    this.worker?.postMessage({ type: "job", job } satisfies ToIngestWorker);
  }

  private answer(message: Extract<FromIngestWorker, { type: "done" | "failed" }>): void {
    const entry = this.unanswered.get(message.id);
    if (!entry) return;
    this.unanswered.delete(message.id);
    if (message.type === "done") entry.resolve(message.outcome);
    else entry.reject(new Error(message.message));
    if (this.unanswered.size === 0) for (const resolve of this.drained.splice(0)) resolve();
  }

  private onExit(worker: Worker, code: number): void {
    for (const resolve of this.heapRequests.splice(0)) resolve(null);
    if (this.worker !== worker) return; // stop() ended it
    this.worker = null;
    this.ready = false;
    if (this.stopping && this.unanswered.size === 0) return;
    this.o.log.error({ code, unanswered: this.unanswered.size }, "ingest worker died; starting another");
    this.abandonRepeatOffenders();
    this.o.onRestart?.(this.unanswered.size);
    const delay = RESTART_BACKOFF_MS[Math.min(this.restarts++, RESTART_BACKOFF_MS.length - 1)]!;
    setTimeout(() => {
      this.starting = this.spawn();
      this.starting.catch((error: unknown) => this.o.log.warn({ err: error }, "ingest worker restart failed"));
    }, delay);
  }

  /** The oldest unanswered job is the one the worker was writing: if it keeps killing workers, give it up. */
  private abandonRepeatOffenders(): void {
    const oldest = this.unanswered.values().next().value;
    if (!oldest) return;
    oldest.crashes++;
    if (oldest.crashes < MAX_CRASHES_PER_JOB) return;
    this.unanswered.delete(oldest.job.id);
    this.o.onAbandoned?.(oldest.job);
    oldest.reject(new Error(`ingest job abandoned: ${MAX_CRASHES_PER_JOB} workers died writing it`));
    if (this.unanswered.size === 0) for (const resolve of this.drained.splice(0)) resolve();
  }
}
