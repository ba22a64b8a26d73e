// What the gateway's event loop hands to the ingest worker thread, and what comes back. One job is one
// database transaction: heartbeat rows, the device rows they (and events) leave behind, and status messages.
// Times travel as epoch milliseconds (structured clone keeps Dates, but numbers keep the worker's code plain).

export interface HeartbeatRow {
  deviceId: string;
  atMs: number;
  uptimeS: number;
  rssi: number | null;
  temperatureC: number;
  firmware: string;
  freeStorageMb: number;
}

/**
 * A device's row as the messages of one batch leave it, in arrival order: its last heartbeat, with privacy and
 * firmware from whichever came last, that heartbeat or a later event (privacy-changed, firmware-updated).
 */
export interface DeviceRowWrite {
  deviceId: string;
  heartbeat: HeartbeatRow | null;
  privacy: boolean | null;
  firmware: string | null;
}

/** A status message from the camera, or the gateway's own verdict (revocation, re-arm, restart). */
export interface StatusWrite {
  deviceId: string;
  state: "online" | "offline";
  reason: string | null;
  session?: string;
  firmware?: string;
  receivedAtMs: number;
}

export interface IngestJob {
  /** Unique per job; the worker's ledger (IngestBatch) makes a job sent twice take effect once. */
  id: string;
  heartbeats: HeartbeatRow[];
  deviceRows: DeviceRowWrite[];
  statuses: StatusWrite[];
}

export interface ConnectionTransition {
  deviceId: string;
  householdId: string | null;
  village: string | null;
  state: "online" | "offline";
  atMs: number;
  reason: string | null;
}

export interface JobOutcome {
  transitions: ConnectionTransition[];
  /** Every device the job's statuses touched, with its connection state after the job. */
  connections: Array<[deviceId: string, connection: string]>;
  committedAtMs: number;
  /** True when the ledger already had this job (sent again after a worker crash): nothing was written twice. */
  replayed: boolean;
}

export interface IngestWorkerData {
  databaseUrl: string;
}

/** The worker's isolate, for memory measurements (its heap is part of the process's RSS). */
export interface WorkerHeap {
  usedHeapBytes: number;
  totalHeapBytes: number;
  externalBytes: number;
}

/**
 * "close": after the jobs before it, the worker closes its database connection and ends. "heap": answered at
 * once, ahead of queued jobs.
 */
export type ToIngestWorker = { type: "job"; job: IngestJob } | { type: "close" } | { type: "heap" };

export type FromIngestWorker =
  | { type: "ready" }
  | { type: "done"; id: string; outcome: JobOutcome }
  | { type: "failed"; id: string; message: string }
  | { type: "heap"; heap: WorkerHeap }
  | { type: "start-failed"; message: string };
