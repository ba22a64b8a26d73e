// Turns status messages into online/offline transitions, stored and announced.
import type { Database } from "../../../core/database.ts";
import type { LiveHub } from "./live-hub.ts";

/** A status message from the camera, or the gateway's own verdict (revocation, re-arm). */
export type StatusUpdate = { state: "online" | "offline"; reason: string | null; session?: string; firmware?: string };
export type ConnectionChange = { deviceId: string; householdId: string | null; state: "online" | "offline"; at: Date; reason: string | null };

export class DeviceStateTracker {
  // Status messages of one device are applied in arrival order; different devices proceed in parallel.
  private readonly queues = new Map<string, Promise<void>>();
  private readonly listeners = new Set<(change: ConnectionChange) => void>();

  constructor(private readonly db: Database, private readonly hub: LiveHub) {}

  onChange(listener: (change: ConnectionChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  applyStatus(deviceId: string, status: StatusUpdate, receivedAt = new Date()): Promise<void> {
    const previous = this.queues.get(deviceId) ?? Promise.resolve();
    const next = previous.then(() => this.apply(deviceId, status, receivedAt));
    const settled = next.catch(() => undefined);
    this.queues.set(deviceId, settled);
    void settled.then(() => { if (this.queues.get(deviceId) === settled) this.queues.delete(deviceId); });
    return next;
  }

  /** Marks a device offline from the gateway's side (revocation, re-arm), whatever its last message said. */
  markOffline(deviceId: string, reason: string): Promise<void> {
    return this.applyStatus(deviceId, { state: "offline", reason });
  }

  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }

  private async apply(deviceId: string, status: StatusUpdate, receivedAt: Date): Promise<void> {
    const device = await this.db.device.findUnique({ where: { id: deviceId }, select: { connection: true, sessionId: true, householdId: true, claimState: true, household: { select: { village: true } } } });
    if (!device) return;
    // A will from a connection that has since been replaced arrives after the new one's "online": ignore it.
    if (status.state === "offline" && status.session && device.sessionId && status.session !== device.sessionId) return;
    const sessionId = status.state === "online" ? status.session ?? null : device.sessionId;
    const reason = status.reason;
    if (device.connection === status.state) {
      if (sessionId !== device.sessionId) await this.db.device.update({ where: { id: deviceId }, data: { sessionId } });
      return;
    }
    await this.db.$transaction([
      this.db.device.update({
        where: { id: deviceId },
        data: { connection: status.state, connectionSince: receivedAt, sessionId, lastSeenAt: receivedAt, ...(status.firmware ? { firmware: status.firmware } : {}) },
      }),
      this.db.deviceStatusChange.create({ data: { deviceId, state: status.state, reason, at: receivedAt } }),
    ]);
    const change: ConnectionChange = { deviceId, householdId: device.householdId, state: status.state, at: receivedAt, reason };
    this.hub.publish({ type: "device.connection", deviceId, village: device.household?.village ?? null, state: status.state, at: receivedAt.toISOString(), reason }, { deviceId, householdId: device.householdId });
    for (const listener of this.listeners) listener(change);
  }
}
