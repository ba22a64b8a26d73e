// Offline alerts: raised when a claimed camera has been offline longer than the threshold, repeated while
// unresolved, resolved as soon as the camera is back online or leaves service. Never-online alerts: a camera bound
// to a home that never connected (the installation that failed), resolved the same way.
// Camera alerts (a bridged camera, camera-health.ts): raised when the device is online but the camera behind it
// has not been ok for as long, named by what is wrong (camera-unreachable, camera-auth-failed, camera-no-stream),
// resolved when it is ok again, when its fault changes (the new one is raised at the next check) or when the
// device goes offline (then the offline alert takes over). Every check first reconciles open alerts with state.
import type { Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { ConnectionChange } from "./device-state.ts";
import type { LiveHub } from "../events/live-hub.ts";
import { toAlertView, alertInclude } from "../http/views.ts";
import type { AlertKind } from "../../../protocol/http.ts";
import type { CameraHealthState } from "../../../protocol/device-messages.ts";

export const cameraAlertKinds: AlertKind[] = ["camera-unreachable", "camera-auth-failed", "camera-no-stream"];
/** What the device itself coming online resolves. */
const connectionAlertKinds: AlertKind[] = ["offline", "never-online"];
const cameraAlertKind = (health: string) => `camera-${health}` as AlertKind;
const faultyHealth: CameraHealthState[] = ["unreachable", "auth-failed", "no-stream"];

export interface AlertPolicy {
  offlineAfterMs: number;
  /** Bound to a home and never connected this long after binding: the installation that failed. */
  neverOnlineAfterMs: number;
  repeatEveryMs: number;
  checkEveryMs: number;
}

export class AlertMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  /** Cameras with an open alert. Every camera coming online is checked against it, so it must not cost a query. */
  private readonly openAlertDevices = new Set<string>();
  /**
   * Awaited between finding overdue cameras and raising their alerts: tests hold the check there to let a
   * camera come back in between, the race every check must survive.
   */
  pauseAfterOverdueFound: ((deviceIds: string[]) => Promise<void>) | null = null;
  /** Told after every check and every resolution (the family's notices follow the alerts); must not reject. */
  onAlertsChanged: ((at: Date) => Promise<void>) | null = null;

  constructor(
    private readonly db: Database,
    private readonly hub: LiveHub,
    private readonly metrics: GatewayMetrics,
    private readonly policy: AlertPolicy,
    private readonly log: { error(o: object, msg: string): void },
  ) {}

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
    this.running = this.running
      .then(() => this.checkOnce(now))
      .catch((error) => this.log.error({ err: error }, "alert check failed"));
    return this.running;
  }

  async onConnectionChange(change: ConnectionChange): Promise<void> {
    if (change.state !== "online" || !this.openAlertDevices.has(change.deviceId)) return;
    await this.closeAlertsOf(change.deviceId, change.at, connectionAlertKinds);
  }

  /** Resolves a camera's open alerts (of these kinds, or all): it is back, or revoked, removed or replaced. */
  async closeAlertsOf(deviceId: string, at = new Date(), kinds?: AlertKind[]): Promise<void> {
    if (!kinds) this.openAlertDevices.delete(deviceId);
    const where = { deviceId, resolvedAt: null, ...(kinds ? { kind: { in: kinds } } : {}) };
    const open = await this.db.alert.findMany({ where, include: alertInclude });
    for (const alert of open) {
      const resolved = await this.db.alert.update({
        where: { id: alert.id },
        data: { resolvedAt: at },
        include: alertInclude,
      });
      this.hub.publish(
        { type: "alert.resolved", alert: toAlertView(resolved) },
        { deviceId, householdId: resolved.device.householdId },
      );
    }
    if (kinds && (await this.db.alert.count({ where: { deviceId, resolvedAt: null } })) === 0)
      this.openAlertDevices.delete(deviceId);
    this.metrics.alertsOpen.set(this.openAlertDevices.size);
    if (open.length > 0) void this.onAlertsChanged?.(at);
  }

  private async checkOnce(now: Date): Promise<void> {
    await this.reconcile(now);
    await this.raiseOverdue(now);
    await this.raiseCameraFaults(now);
    await this.repeatDue(now);
    this.metrics.alertsOpen.set(this.openAlertDevices.size);
    await this.onAlertsChanged?.(now);
  }

  /**
   * Open alerts must match device state: one whose camera is online or no longer in service is resolved. A box
   * bound to a home but never claimed is in service (its alert says the installation failed).
   */
  private async reconcile(now: Date): Promise<void> {
    const stale = await this.db.alert.findMany({
      where: {
        resolvedAt: null,
        OR: [
          { device: { claimState: "revoked" } },
          { device: { claimState: "registered", OR: [{ householdId: null }, { connection: { not: "unknown" } }] } },
          { kind: { in: connectionAlertKinds }, device: { connection: "online" } },
          { kind: { in: cameraAlertKinds }, device: { connection: { not: "online" } } },
        ],
      },
      select: { deviceId: true },
    });
    for (const deviceId of new Set(stale.map((a) => a.deviceId))) await this.closeAlertsOf(deviceId, now);
    const cameraAlerts = await this.db.alert.findMany({
      where: { resolvedAt: null, kind: { in: cameraAlertKinds } },
      select: { deviceId: true, kind: true, device: { select: { cameraHealth: true } } },
    });
    // The camera is ok again, or has another fault now (that one is raised below, under its own name).
    for (const alert of cameraAlerts)
      if (alert.kind !== cameraAlertKind(alert.device.cameraHealth ?? "ok"))
        await this.closeAlertsOf(alert.deviceId, now, [alert.kind as AlertKind]);
  }

  /**
   * Cameras offline too long; claimed cameras that never connected (a box that reached the claim, then not the
   * broker) after the same time; boxes bound to a home and never even claimed (never powered, or no network)
   * after `neverOnlineAfterMs` from binding. The last two are the installations that failed: "never-online".
   */
  private async raiseOverdue(now: Date): Promise<void> {
    const threshold = new Date(now.getTime() - this.policy.offlineAfterMs);
    const neverThreshold = new Date(now.getTime() - this.policy.neverOnlineAfterMs);
    const overdue = await this.db.device.findMany({
      where: {
        alerts: { none: { resolvedAt: null } },
        OR: [
          { claimState: "claimed", connection: "offline", connectionSince: { lte: threshold } },
          {
            claimState: "claimed",
            connection: { not: "online" },
            connectionSince: null,
            claimedAt: { lte: threshold },
          },
          {
            claimState: "registered",
            householdId: { not: null },
            connection: "unknown",
            boundAt: { lte: neverThreshold },
          },
        ],
      },
      select: { id: true, householdId: true, connection: true },
    });
    await this.pauseAfterOverdueFound?.(overdue.map((d) => d.id));
    for (const device of overdue) {
      // Marked before the alert exists: a camera coming back from here on resolves it through onConnectionChange.
      await this.raise(device, device.connection === "unknown" ? "never-online" : "offline", now);
      // It came back (or was retired) after the overdue query and before the mark above: nothing else would resolve it.
      const current = await this.db.device.findUnique({
        where: { id: device.id },
        select: { connection: true, claimState: true },
      });
      if (!current || current.connection === "online" || current.claimState === "revoked")
        await this.closeAlertsOf(device.id, new Date());
    }
  }

  /** Bridged cameras whose device is online but whose camera has not been ok for the threshold. */
  private async raiseCameraFaults(now: Date): Promise<void> {
    const threshold = new Date(now.getTime() - this.policy.offlineAfterMs);
    const faulty = await this.db.device.findMany({
      where: {
        claimState: "claimed",
        connection: "online",
        cameraHealth: { in: faultyHealth },
        cameraHealthSince: { lte: threshold },
        alerts: { none: { resolvedAt: null } },
      },
      select: { id: true, householdId: true, cameraHealth: true },
    });
    for (const device of faulty) await this.raise(device, cameraAlertKind(device.cameraHealth!), now);
  }

  private async raise(device: { id: string; householdId: string | null }, kind: AlertKind, now: Date): Promise<void> {
    this.openAlertDevices.add(device.id);
    const alert = await this.db.alert.create({
      data: { id: randomId("alr_"), deviceId: device.id, kind, raisedAt: now, lastNotifiedAt: now, notifyCount: 1 },
      include: alertInclude,
    });
    this.metrics.alertsRaised.inc();
    this.metrics.alertsNotified.inc();
    this.hub.publish(
      { type: "alert.raised", alert: toAlertView(alert) },
      { deviceId: device.id, householdId: device.householdId },
    );
  }

  private async repeatDue(now: Date): Promise<void> {
    const due = await this.db.alert.findMany({
      where: { resolvedAt: null, lastNotifiedAt: { lte: new Date(now.getTime() - this.policy.repeatEveryMs) } },
      include: alertInclude,
    });
    for (const alert of due) {
      const repeated = await this.db.alert.update({
        where: { id: alert.id },
        data: { lastNotifiedAt: now, notifyCount: { increment: 1 } },
        include: alertInclude,
      });
      this.metrics.alertsNotified.inc();
      this.hub.publish(
        { type: "alert.repeated", alert: toAlertView(repeated) },
        { deviceId: alert.deviceId, householdId: alert.device.householdId },
      );
    }
  }
}
