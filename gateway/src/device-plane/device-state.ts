// Turns status messages into online/offline transitions, stored and announced. Messages are applied in
// arrival order, in small batches: when a broker restarts, thousands of cameras report "online" within
// seconds, and one read plus two statements per batch (instead of three queries per camera) keeps up.
import type { Database } from "../../../core/database.ts";
import type { DatabaseProvider } from "../../../core/database-url.ts";
import { TypedEvents, type EventSource, type ListenerErrorLog } from "../../../core/events.ts";
import type { LiveHub } from "../events/live-hub.ts";

/** A status message from the camera, or the gateway's own verdict (revocation, re-arm). */
export type StatusUpdate = { state: "online" | "offline"; reason: string | null; session?: string; firmware?: string };
export type ConnectionChange = {
  deviceId: string;
  householdId: string | null;
  state: "online" | "offline";
  at: Date;
  reason: string | null;
};

interface Pending {
  deviceId: string;
  status: StatusUpdate;
  receivedAt: Date;
  done: { resolve(): void; reject(error: unknown): void };
}

interface DeviceRow {
  connection: string;
  connectionSince: Date | null;
  sessionId: string | null;
  lastSeenAt: Date | null;
  firmware: string | null;
  householdId: string | null;
  claimState: string;
  village: string | null;
  changed: boolean;
}

const BATCH_DELAY_MS = 5;
const MAX_BATCH = 2000;

export interface DeviceStateEvents {
  /** A camera went online or offline (stored before it is announced). */
  change: [change: ConnectionChange];
}

export class DeviceStateTracker {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  readonly #events: TypedEvents<DeviceStateEvents>;
  /** Cameras known online since this gateway started; a heartbeat from any other one is news. */
  private readonly knownOnline = new Set<string>();
  private readonly heartbeatProofs = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly provider: DatabaseProvider,
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
      const devices = await this.loadDevices(batch);
      const changes: ConnectionChange[] = [];
      for (const pending of batch) {
        const device = devices.get(pending.deviceId);
        const change = device ? applyStatus(device, pending) : null;
        if (change) changes.push(change);
      }
      await this.persist(devices, changes);
      for (const [id, d] of devices) {
        if (d.connection === "online") this.knownOnline.add(id);
        else this.knownOnline.delete(id);
      }
      this.announce(devices, changes);
      for (const p of batch) p.done.resolve();
    } catch (error) {
      for (const p of batch) p.done.reject(error);
    }
  }

  private async loadDevices(batch: Pending[]): Promise<Map<string, DeviceRow>> {
    const rows = await this.db.device.findMany({
      where: { id: { in: [...new Set(batch.map((p) => p.deviceId))] } },
      select: {
        id: true,
        connection: true,
        connectionSince: true,
        sessionId: true,
        lastSeenAt: true,
        firmware: true,
        householdId: true,
        claimState: true,
        household: { select: { village: true } },
      },
    });
    return new Map<string, DeviceRow>(
      rows.map((d) => [d.id, { ...d, village: d.household?.village ?? null, changed: false }]),
    );
  }

  private async persist(devices: Map<string, DeviceRow>, changes: ConnectionChange[]): Promise<void> {
    const updated = [...devices].filter(([, d]) => d.changed);
    await this.db.$transaction([
      ...(updated.length ? [this.updateDevices(updated)] : []),
      ...(changes.length
        ? [
            this.db.deviceStatusChange.createMany({
              data: changes.map((c) => ({ deviceId: c.deviceId, state: c.state, reason: c.reason, at: c.at })),
            }),
          ]
        : []),
    ]);
  }

  private announce(devices: Map<string, DeviceRow>, changes: ConnectionChange[]): void {
    for (const change of changes) {
      const village = devices.get(change.deviceId)?.village ?? null;
      this.hub.publish(
        {
          type: "device.connection",
          deviceId: change.deviceId,
          village,
          state: change.state,
          at: change.at.toISOString(),
          reason: change.reason,
        },
        { deviceId: change.deviceId, householdId: change.householdId },
      );
      this.#events.emit("change", change);
    }
  }

  /** One statement for all changed devices of the batch. */
  private updateDevices(updated: [string, DeviceRow][]) {
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    if (this.provider === "postgresql") {
      const column = <T>(pick: (d: DeviceRow) => T) => updated.map(([, d]) => pick(d));
      return this.db.$executeRawUnsafe(
        `UPDATE "Device" AS d SET "connection" = v.connection, "connectionSince" = v.since AT TIME ZONE 'UTC', "sessionId" = v.session,
           "lastSeenAt" = v.seen AT TIME ZONE 'UTC', "firmware" = v.firmware
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::text[]) AS v(id, connection, since, session, seen, firmware)
         WHERE d.id = v.id`,
        updated.map(([id]) => id),
        column((d) => d.connection),
        column((d) => iso(d.connectionSince)),
        column((d) => d.sessionId),
        column((d) => iso(d.lastSeenAt)),
        column((d) => d.firmware),
      );
    }
    return this.db.$executeRawUnsafe(
      `WITH v(id, connection, since, session, seen, firmware) AS (VALUES ${updated.map(() => "(?,?,?,?,?,?)").join(",")})
       UPDATE "Device" SET "connection" = v.connection, "connectionSince" = v.since, "sessionId" = v.session, "lastSeenAt" = v.seen, "firmware" = v.firmware
       FROM v WHERE "Device"."id" = v.id`,
      ...updated.flatMap(([id, d]) => [
        id,
        d.connection,
        iso(d.connectionSince),
        d.sessionId,
        iso(d.lastSeenAt),
        d.firmware,
      ]),
    );
  }
}

/** Applies one status to the batch's copy of its device; the connection change it makes, if any. */
function applyStatus(device: DeviceRow, { deviceId, status, receivedAt }: Pending): ConnectionChange | null {
  // A heartbeat in flight when the camera was revoked or re-armed is no proof of a live camera in service.
  if (status.reason === "heartbeat" && device.claimState !== "claimed") return null;
  // A will from a connection that has since been replaced arrives after the new one's "online": ignore it.
  if (status.state === "offline" && status.session && device.sessionId && status.session !== device.sessionId)
    return null;
  // Online without a session (a heartbeat, the broker's list of clients): keep the session of a camera
  // already online; otherwise it is unknown, so that the will of whichever connection it has applies.
  const sessionId =
    status.state === "online"
      ? (status.session ?? (device.connection === "online" ? device.sessionId : null))
      : device.sessionId;
  if (sessionId !== device.sessionId) {
    device.sessionId = sessionId;
    device.changed = true;
  }
  if (device.connection === status.state) return null;
  Object.assign(device, {
    connection: status.state,
    connectionSince: receivedAt,
    lastSeenAt: receivedAt,
    changed: true,
    ...(status.firmware ? { firmware: status.firmware } : {}),
  });
  return { deviceId, householdId: device.householdId, state: status.state, at: receivedAt, reason: status.reason };
}
