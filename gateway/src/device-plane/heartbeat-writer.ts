// Heartbeats are written behind, in batches: thousands of cameras each report every few seconds. The writes
// happen in the ingest worker thread (./ingest/); here, on the event loop, heartbeats are only collected and
// handed over. One batch is in the worker at a time: while it is written, the next one grows, so batches get
// larger exactly when the database is slower. The queue is bounded: past maxQueued heartbeats waiting for the
// database, new ones are dropped and counted (the last resort; statuses and events are never dropped).
import type { HeartbeatMessage } from "../../../protocol/device-messages.ts";
import type { IngestThread } from "./ingest/ingest-thread.ts";
import type { DeviceRowWrite, HeartbeatRow } from "./ingest/protocol.ts";

export interface PendingHeartbeat {
  deviceId: string;
  heartbeat: HeartbeatMessage;
  receivedAt: Date;
}

/** What a device event changes on the device row (privacy-changed, firmware-updated). */
export interface DeviceChange {
  privacy?: boolean;
  firmware?: string;
}

/**
 * A device's row as the messages of one batch leave it, in arrival order. Events go through this writer (and
 * not straight to the database) so that a heartbeat written behind can never undo a newer event.
 */
interface DeviceRowUpdate {
  deviceId: string;
  heartbeat: PendingHeartbeat | null;
  privacy: boolean | null;
  firmware: string | null;
}

export interface HeartbeatWriterOptions {
  thread: Pick<IngestThread, "submit" | "queuedHeartbeats">;
  flushMs: number;
  /** Heartbeats waiting for the database (here and in the worker) beyond which new ones are dropped. */
  maxQueued: number;
  onStored(batch: PendingHeartbeat[], storedAt: Date): void;
  onError(error: unknown, lost: number): void;
  onDropped(): void;
}

const MAX_JOB_ROWS = 5000;

const rowOfHeartbeat = ({ deviceId, heartbeat: h, receivedAt }: PendingHeartbeat): HeartbeatRow => ({
  deviceId,
  atMs: receivedAt.getTime(),
  uptimeS: h.uptimeS,
  rssi: h.rssi,
  temperatureC: h.temperatureC,
  firmware: h.firmware,
  freeStorageMb: h.freeStorageMb,
});

export class HeartbeatWriter {
  private pending: PendingHeartbeat[] = [];
  private rows = new Map<string, DeviceRowUpdate>();
  private changesStored: Array<{ resolve(): void; reject(error: unknown): void }> = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly o: HeartbeatWriterOptions) {}

  /** Heartbeats not yet committed: collected here or being written by the worker. */
  get queued(): number {
    return this.pending.length + this.o.thread.queuedHeartbeats;
  }

  add(item: PendingHeartbeat): void {
    if (this.queued >= this.o.maxQueued) return this.o.onDropped();
    this.pending.push(item);
    const row = this.rowOf(item.deviceId);
    Object.assign(row, { heartbeat: item, privacy: item.heartbeat.privacy, firmware: item.heartbeat.firmware });
    this.schedule();
  }

  /** Stores an event's change to the device row after every heartbeat that arrived before it; resolves once committed. */
  applyDeviceChange(deviceId: string, change: DeviceChange): Promise<void> {
    const row = this.rowOf(deviceId);
    if (change.privacy !== undefined) row.privacy = change.privacy;
    if (change.firmware !== undefined) row.firmware = change.firmware;
    this.schedule();
    return new Promise((resolve, reject) => this.changesStored.push({ resolve, reject }));
  }

  /** Writes what is pending now (after the batch in the worker, if any); resolves when it is committed. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  async stop(): Promise<void> {
    await this.flush();
  }

  /**
   * The batch is taken when the previous one is committed, not when the flush was asked for. A backlog (the loop
   * was starved, the database slow) goes in jobs of at most MAX_JOB_ROWS samples, the device rows and events with
   * the last of them: a job's write time and memory stay bounded (one 200,000-row unnest() took PostgreSQL's
   * worker over 30 s), and no heartbeat's device row is written before an event that came after it.
   */
  private async writePending(): Promise<void> {
    while (this.pending.length > MAX_JOB_ROWS) await this.writeSamplesAhead();
    await this.writeBatch();
  }

  private async writeBatch(): Promise<void> {
    const batch = this.pending;
    const rows = [...this.rows.values()];
    const waiting = this.changesStored;
    this.pending = [];
    this.rows = new Map();
    this.changesStored = [];
    if (rows.length === 0) return;
    try {
      const outcome = await this.o.thread.submit({
        heartbeats: batch.map(rowOfHeartbeat),
        deviceRows: rows.map(deviceRowWrite),
        statuses: [],
      });
      if (batch.length > 0) this.o.onStored(batch, new Date(outcome.committedAtMs));
      for (const w of waiting) w.resolve();
    } catch (error) {
      this.o.onError(error, batch.length);
      for (const w of waiting) w.reject(error);
    }
  }

  private async writeSamplesAhead(): Promise<void> {
    const batch = this.pending.splice(0, MAX_JOB_ROWS);
    try {
      const outcome = await this.o.thread.submit({
        heartbeats: batch.map(rowOfHeartbeat),
        deviceRows: [],
        statuses: [],
      });
      this.o.onStored(batch, new Date(outcome.committedAtMs));
    } catch (error) {
      this.o.onError(error, batch.length);
    }
  }

  private rowOf(deviceId: string): DeviceRowUpdate {
    let row = this.rows.get(deviceId);
    if (!row) {
      row = { deviceId, heartbeat: null, privacy: null, firmware: null };
      this.rows.set(deviceId, row);
    }
    return row;
  }

  private schedule(): void {
    if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.o.flushMs);
  }
}

function deviceRowWrite({ deviceId, heartbeat, privacy, firmware }: DeviceRowUpdate): DeviceRowWrite {
  return { deviceId, heartbeat: heartbeat ? rowOfHeartbeat(heartbeat) : null, privacy, firmware };
}
