// Turns status messages into online/offline transitions, stored and announced. Messages are applied in
// arrival order, in batches that the ingest worker thread writes (one read and two statements per batch):
// when a broker restarts, thousands of cameras report "online" within seconds, and the event loop only posts.
import { TypedEvents, type EventSource, type ListenerErrorLog } from "../../../core/events.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { IngestThread } from "./ingest/ingest-thread.ts";
import type { ConnectionTransition } from "./ingest/protocol.ts";

/** A status message from the camera, or the gateway's own verdict (revocation, re-arm). */
export type StatusUpdate = { state: "online" | "offline"; reason: string | null; session?: string; firmware?: string };
export type ConnectionChange = {
  deviceId: string;
  householdId: string | null;
  state: "online" | "offline";
  at: Date;
  reason: string | null;
};

export interface DeviceStateEvents {
  change: [change: ConnectionChange];
}

interface Pending {
  deviceId: string;
  status: StatusUpdate;
  receivedAt: Date;
  done: { resolve(): void; reject(error: unknown): void };
}

/**
 * How long a status waits for others to share its write. Each write is a message to the worker thread, and
 * each message wakes it: in a reconnect storm of 10,000 cameras, 5 ms made ~700 writes of ~14 statuses and
 * 50 ms made the connects 6–9% cheaper (bench/broker-bench.md). A person sees no difference.
 */
const BATCH_DELAY_MS = 50;
const MAX_BATCH = 2000;

export class DeviceStateTracker {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  readonly #events: TypedEvents<DeviceStateEvents>;
  /** Cameras known online since this gateway started; a heartbeat from any other one is news. */
  private readonly knownOnline = new Set<string>();
  private readonly heartbeatProofs = new Set<string>();

  constructor(
    /** Where statuses are stored: the ingest worker thread, which decides the transitions (ingest/transitions.ts). */
    private readonly thread: Pick<IngestThread, "submit">,
    private readonly hub: LiveHub,
    log: ListenerErrorLog,
  ) {
    this.#events = new TypedEvents<DeviceStateEvents>({ log, name: "device-state" });
  }

  get events(): EventSource<DeviceStateEvents> {
    return this.#events;
  }

  /** Resolves once the update is stored (or found to change nothing). */
  applyStatus(deviceId: string, status: StatusUpdate, receivedAt = new Date()): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ deviceId, status, receivedAt, done: { resolve, reject } });
      if (this.pending.length >= MAX_BATCH) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), BATCH_DELAY_MS);
    });
  }

  /**
   * A heartbeat proves the camera is connected. If it is not known online here (its status was missed, e.g.
   * published while the gateway restarted), it comes online now, with its transition. Null when nothing changes.
   */
  noteHeartbeat(deviceId: string, receivedAt = new Date()): Promise<void> | null {
    if (this.knownOnline.has(deviceId) || this.heartbeatProofs.has(deviceId)) return null;
    this.heartbeatProofs.add(deviceId);
    return this.applyStatus(deviceId, { state: "online", reason: "heartbeat" }, receivedAt).finally(() =>
      this.heartbeatProofs.delete(deviceId),
    );
  }

  /** Marks a device offline from the gateway's side (revocation, re-arm), whatever its last message said. */
  markOffline(deviceId: string, reason: string): Promise<void> {
    return this.applyStatus(deviceId, { state: "offline", reason });
  }

  async idle(): Promise<void> {
    do await this.flush();
    while (this.pending.length > 0);
  }

  private flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // The batch is taken when the previous one is stored, not when this flush was asked for: in a reconnect
    // storm the statuses that arrive during a write go into the next write together (measured: one status
    // per batch, three queries per camera, before).
    this.flushing = this.flushing.then(() => {
      const batch = this.pending.splice(0, MAX_BATCH);
      if (this.pending.length > 0) this.timer ??= setTimeout(() => void this.flush(), BATCH_DELAY_MS);
      return this.applyBatch(batch);
    });
    return this.flushing;
  }

  private async applyBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      const outcome = await this.thread.submit({
        heartbeats: [],
        deviceRows: [],
        statuses: batch.map(({ deviceId, status, receivedAt }) => ({
          deviceId,
          ...status,
          receivedAtMs: receivedAt.getTime(),
        })),
      });
      for (const [id, connection] of outcome.connections) {
        if (connection === "online") this.knownOnline.add(id);
        else this.knownOnline.delete(id);
      }
      for (const transition of outcome.transitions) this.announce(transition);
      for (const p of batch) p.done.resolve();
    } catch (error) {
      for (const p of batch) p.done.reject(error);
    }
  }

  private announce({ deviceId, householdId, village, state, atMs, reason }: ConnectionTransition): void {
    const at = new Date(atMs);
    this.hub.publish(
      { type: "device.connection", deviceId, village, state, at: at.toISOString(), reason },
      { deviceId, householdId },
    );
    const change: ConnectionChange = { deviceId, householdId, state, at, reason };
    this.#events.emit("change", change);
  }
}
