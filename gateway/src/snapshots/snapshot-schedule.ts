// The periodic side of snapshots, run by the ingest leader only: every SNAPSHOT_INTERVAL_MIN each online
// camera not in privacy mode is asked for a still, and stills past their retention are swept (at start, then
// hourly). A camera is due when nobody asked it for one within the interval, so a person's request or a
// failed attempt also resets its clock, and a fleet that comes online at once is asked a batch per tick.
import type { Database } from "../../../core/database.ts";
import { eachUntilStopped } from "../../../core/lifecycle.ts";
import type { SnapshotService } from "./snapshot-service.ts";

const SWEEP_EVERY_MS = 3600_000;
const MAX_TICK_MS = 60_000;
/** Cameras asked per tick, and how many at once: each ask waits for the camera's upload. */
const DUE_PER_TICK = 200;
const ASKED_AT_ONCE = 8;

export interface SnapshotScheduleOptions {
  db: Database;
  snapshots: SnapshotService;
  /** 0: no periodic stills (requests and the sweep still work). */
  intervalMs: number;
  log: { warn(o: object, msg: string): void; error(o: object, msg: string): void };
}

export class SnapshotSchedule {
  readonly #o: SnapshotScheduleOptions;
  #timers: NodeJS.Timeout[] = [];
  #tick: Promise<void> | null = null;
  /** Aborted by stop(): a round under way ends between two batches; the cameras it did not ask are still due. */
  #rounds = new AbortController();

  constructor(options: SnapshotScheduleOptions) {
    this.#o = options;
  }

  start(): void {
    const sweep = () =>
      void this.#o.snapshots.sweep().catch((err: unknown) => this.#o.log.error({ err }, "snapshot sweep failed"));
    sweep();
    this.#timers.push(setInterval(sweep, SWEEP_EVERY_MS).unref());
    if (this.#o.intervalMs <= 0) return;
    const tickMs = Math.min(this.#o.intervalMs, MAX_TICK_MS);
    const tick = () => {
      if (this.#tick) return;
      this.#tick = this.askDueCameras()
        .then(() => undefined)
        .catch((err: unknown) => this.#o.log.error({ err }, "periodic snapshots failed"))
        .finally(() => (this.#tick = null));
    };
    tick();
    this.#timers.push(setInterval(tick, tickMs).unref());
  }

  /** Ends the round under way between two batches (the batch in hand finishes) and waits for it. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#rounds.abort();
    this.#rounds = new AbortController();
    await this.#tick;
  }

  /**
   * One round: the cameras due now, a few at a time, until stop(). Returns how many were due (all of them asked,
   * unless it was stopped).
   */
  async askDueCameras(now = new Date(), signal = this.#rounds.signal): Promise<number> {
    const since = new Date(now.getTime() - this.#o.intervalMs);
    const due = await this.#o.db.device.findMany({
      where: {
        claimState: "claimed",
        connection: "online",
        privacy: false,
        snapshotUploads: { none: { createdAt: { gte: since } } },
      },
      select: { id: true },
      take: DUE_PER_TICK,
    });
    const batches = Array.from({ length: Math.ceil(due.length / ASKED_AT_ONCE) }, (_, b) =>
      due.slice(b * ASKED_AT_ONCE, (b + 1) * ASKED_AT_ONCE),
    );
    await eachUntilStopped(batches, signal, (batch) =>
      Promise.all(
        batch.map(({ id }) =>
          this.#o.snapshots
            .request(id, "periodic", "schedule")
            .catch((err: Error) => this.#o.log.warn({ deviceId: id, err: err.message }, "periodic still not taken")),
        ),
      ),
    );
    return due.length;
  }
}
