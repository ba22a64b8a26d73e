// The ingest worker thread: takes jobs from the gateway's event loop and writes each in one transaction,
// strictly in the order they came, answering "done" (with the job's connection transitions) or "failed".
// It holds no state the gateway needs: a crash loses nothing the gateway has not kept until "done".
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import type { FromIngestWorker, IngestJob, IngestWorkerData, ToIngestWorker } from "./protocol.ts";
import { openIngestStore, type IngestStore } from "./store.ts";

/** Jobs are retried only after a crash, within seconds: an hour of ledger is ample and stays small. */
const LEDGER_KEEP_MS = 60 * 60 * 1000;
const LEDGER_PRUNE_EVERY_MS = 5 * 60 * 1000;

async function runWorker(port: NonNullable<typeof parentPort>): Promise<void> {
  const send = (message: FromIngestWorker) => port.postMessage(message);
  let store: IngestStore;
  try {
    store = await openIngestStore((workerData as IngestWorkerData).databaseUrl);
  } catch (error) {
    send({ type: "start-failed", message: String(error) });
    return;
  }
  let queue: Promise<void> = Promise.resolve();
  let lastPrune = 0;
  const handle = async (job: IngestJob) => {
    try {
      if (Date.now() - lastPrune > LEDGER_PRUNE_EVERY_MS) {
        lastPrune = Date.now();
        await store.pruneLedger(LEDGER_KEEP_MS);
      }
      send({ type: "done", id: job.id, outcome: await store.write(job) });
    } catch (error) {
      send({ type: "failed", id: job.id, message: error instanceof Error ? error.message : String(error) });
    }
  };
  const close = async () => {
    await store.close();
    port.close();
  };
  port.on("message", (message: ToIngestWorker) => {
    if (message.type === "heap") return send({ type: "heap", heap: heapFigures() });
    queue = queue.then(() => (message.type === "job" ? handle(message.job) : close()));
  });
  send({ type: "ready" });
}

if (parentPort) await runWorker(parentPort);

/** After a full collection when the process exposes gc (benchmarks do), so that garbage is not counted. */
function heapFigures() {
  (globalThis as { gc?: () => void }).gc?.();
  const heap = getHeapStatistics();
  return {
    usedHeapBytes: heap.used_heap_size,
    totalHeapBytes: heap.total_heap_size,
    externalBytes: heap.external_memory,
  };
}
