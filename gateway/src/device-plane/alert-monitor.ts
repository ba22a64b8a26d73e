// Offline alerts: raised when a claimed camera has been offline longer than the threshold, repeated
// while unresolved, resolved as soon as the camera is back online.
import type { Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { ConnectionChange } from "./device-state.ts";
import type { LiveHub } from "../events/live-hub.ts";
import { toAlertView, alertInclude } from "../http/views.ts";

export interface AlertPolicy {
  offlineAfterMs: number;
  repeatEveryMs: number;
  checkEveryMs: number;
}

export class AlertMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  /** Cameras with an open alert. Every camera coming online is checked against it, so it must not cost a query. */
  private readonly openAlertDevices = new Set<string>();

  constructor(private readonly db: Database, private readonly hub: LiveHub, private readonly metrics: GatewayMetrics, private readonly policy: AlertPolicy,
    private readonly log: { error(o: object, msg: string): void }) {}

  async start(): Promise<void> {
    const open = await this.db.alert.findMany({ where: { resolvedAt: null }, select: { deviceId: true } });
    for (const { deviceId } of open) this.openAlertDevices.add(deviceId);
    this.metrics.alertsOpen.set(this.openAlertDevices.size);
    this.timer = setInterval(() => void this.check(), this.policy.checkEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass: raise what is due, repeat what is due. Runs one at a time. */
  check(now = new Date()): Promise<void> {
    this.running = this.running.then(() => this.checkOnce(now)).catch((error) => this.log.error({ err: error }, "alert check failed"));
    return this.running;
  }

  async onConnectionChange(change: ConnectionChange): Promise<void> {
    if (change.state !== "online" || !this.openAlertDevices.has(change.deviceId)) return;
    this.openAlertDevices.delete(change.deviceId);
    const open = await this.db.alert.findMany({ where: { deviceId: change.deviceId, resolvedAt: null }, include: alertInclude });
    for (const alert of open) {
      const resolved = await this.db.alert.update({ where: { id: alert.id }, data: { resolvedAt: change.at }, include: alertInclude });
      this.hub.publish({ type: "alert.resolved", alert: toAlertView(resolved) }, { deviceId: change.deviceId, householdId: change.householdId });
    }
    this.metrics.alertsOpen.set(this.openAlertDevices.size);
  }

  private async checkOnce(now: Date): Promise<void> {
    const overdue = await this.db.device.findMany({
      where: { claimState: "claimed", connection: "offline", connectionSince: { lte: new Date(now.getTime() - this.policy.offlineAfterMs) }, alerts: { none: { resolvedAt: null } } },
      select: { id: true, householdId: true, connectionSince: true },
    });
    for (const device of overdue) {
      const alert = await this.db.alert.create({
        data: { id: randomId("alr_"), deviceId: device.id, kind: "offline", raisedAt: now, lastNotifiedAt: now, notifyCount: 1 },
        include: alertInclude,
      });
      this.openAlertDevices.add(device.id);
      this.metrics.alertsRaised.inc();
      this.metrics.alertsNotified.inc();
      this.hub.publish({ type: "alert.raised", alert: toAlertView(alert) }, { deviceId: device.id, householdId: device.householdId });
    }
    const due = await this.db.alert.findMany({
      where: { resolvedAt: null, lastNotifiedAt: { lte: new Date(now.getTime() - this.policy.repeatEveryMs) } },
      include: alertInclude,
    });
    for (const alert of due) {
      const repeated = await this.db.alert.update({ where: { id: alert.id }, data: { lastNotifiedAt: now, notifyCount: { increment: 1 } }, include: alertInclude });
      this.metrics.alertsNotified.inc();
      this.hub.publish({ type: "alert.repeated", alert: toAlertView(repeated) }, { deviceId: alert.deviceId, householdId: alert.device.householdId });
    }
    this.metrics.alertsOpen.set(this.openAlertDevices.size);
  }
}
