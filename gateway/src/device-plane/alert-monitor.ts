// Offline alerts: raised when a claimed camera has been offline longer than the threshold, repeated while
// unresolved, resolved as soon as the camera is back online or leaves service. Never-online alerts: a camera bound
// to a home that never connected (the installation that failed), resolved the same way.
// Camera alerts (a bridged camera, camera-health.ts): raised when the device is online but the camera behind it
// has not been ok for as long, named by what is wrong (camera-unreachable, camera-auth-failed, camera-no-stream),
// resolved when it is ok again, when its fault changes (the new one is raised at the next check) or when the
// device goes offline (then the offline alert takes over). Every check first reconciles open alerts with state.
import type { Database } from "../../../core/database.ts";
import { eachUntilStopped } from "../../../core/lifecycle.ts";
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
  /** The check the timer started, until it ends. */
  private timerCheck: Promise<void> | null = null;
  /**
   * Aborted by stop(): a check under way ends between two cameras (or alerts) and leaves the rest to the next
   * check, which finds them still due. On a county (1,500 offline cameras) one check's writes took 9-13 s on
   * PostgreSQL, past the gateway's stop deadline.
   */
  private rounds = new AbortController();
  /** Cameras with an open alert. Every camera coming online is checked against it, so it must not cost a query. */
  private readonly openAlertDevices = new Set<string>();
  /**
   * Awaited between finding overdue cameras and raising their alerts: tests hold the check there to let a
   * camera come back in between, the race every check must survive.
   */
  pauseAfterOverdueFound: ((deviceIds: string[]) => Promise<void>) | null = null;
  /**
   * Told after every check and every resolution (the family's notices follow the alerts); must not reject, and
   * should stop between steps when the signal (the monitor stopping) is aborted.
   */
  onAlertsChanged: ((at: Date, signal: AbortSignal) => Promise<void>) | null = null;

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
    // A county's check can outlast the interval (tens of seconds of writes on PostgreSQL after a power cut): a tick
    // that finds the last one still running skips, rather than queueing checks behind it with an old "now".
    this.timer = setInterval(() => {
      this.timerCheck ??= this.check().finally(() => (this.timerCheck = null));
    }, this.policy.checkEveryMs);
    this.timer.unref();
  }

  /** Ends the check under way between two steps (the step in hand finishes) and waits for it. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.rounds.abort();
    this.rounds = new AbortController();
    await this.running;
  }

  /** One pass: raise what is due, repeat what is due. Runs one at a time; stop() ends it between two steps. */
  check(now = new Date()): Promise<void> {
    const { signal } = this.rounds;
    this.running = this.running
      .then(() => this.checkOnce(now, signal))
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
    if (open.length > 0) void this.onAlertsChanged?.(at, this.rounds.signal);
  }

  private async checkOnce(now: Date, signal: AbortSignal): Promise<void> {
    const phases = [
      () => this.reconcile(now, signal),
      () => this.raiseOverdue(now, signal),
      () => this.raiseCameraFaults(now, signal),
      () => this.repeatDue(now, signal),
    ];
    await eachUntilStopped(phases, signal, (phase) => phase());
    this.metrics.alertsOpen.set(this.openAlertDevices.size);
    // Stopped: the family's notices are compared with the alerts at the next check (sync() catches up).
    if (!signal.aborted) await this.onAlertsChanged?.(now, signal);
  }

  /**
   * Open alerts must match device state: one whose camera is online or no longer in service is resolved. A box
   * bound to a home but never claimed is in service (its alert says the installation failed).
   */
  private async reconcile(now: Date, signal: AbortSignal): Promise<void> {
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
    const staleDevices = new Set(stale.map((a) => a.deviceId));
    await eachUntilStopped(staleDevices, signal, (deviceId) => this.closeAlertsOf(deviceId, now));
    if (signal.aborted) return;
    const cameraAlerts = await this.db.alert.findMany({
      where: { resolvedAt: null, kind: { in: cameraAlertKinds } },
      select: { deviceId: true, kind: true, device: { select: { cameraHealth: true } } },
    });
    // The camera is ok again, or has another fault now (that one is raised below, under its own name).
    const healed = cameraAlerts.filter((alert) => alert.kind !== cameraAlertKind(alert.device.cameraHealth ?? "ok"));
    await eachUntilStopped(healed, signal, (alert) =>
      this.closeAlertsOf(alert.deviceId, now, [alert.kind as AlertKind]),
    );
  }

  /**
   * Cameras offline too long; claimed cameras that never connected (a box that reached the claim, then not the
   * broker) after the same time; boxes bound to a home and never even claimed (never powered, or no network)
   * after `neverOnlineAfterMs` from binding. The last two are the installations that failed: "never-online".
   */
  private async raiseOverdue(now: Date, signal: AbortSignal): Promise<void> {
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
    // A camera whose alert is raised is also checked again before the check stops (the race below).
    await eachUntilStopped(overdue, signal, async (device) => {
      // Marked before the alert exists: a camera coming back from here on resolves it through onConnectionChange.
      await this.raise(device, device.connection === "unknown" ? "never-online" : "offline", now);
      // It came back (or was retired) after the overdue query and before the mark above: nothing else would resolve it.
      const current = await this.db.device.findUnique({
        where: { id: device.id },
        select: { connection: true, claimState: true },
      });
      if (!current || current.connection === "online" || current.claimState === "revoked")
        await this.closeAlertsOf(device.id, new Date());
    });
  }

  /** Bridged cameras whose device is online but whose camera has not been ok for the threshold. */
  private async raiseCameraFaults(now: Date, signal: AbortSignal): Promise<void> {
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
    await eachUntilStopped(faulty, signal, (device) => this.raise(device, cameraAlertKind(device.cameraHealth!), now));
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

  /** A repeat not made before a stop is still due (its lastNotifiedAt unchanged) at the next check. */
  private async repeatDue(now: Date, signal: AbortSignal): Promise<void> {
    const due = await this.db.alert.findMany({
      where: { resolvedAt: null, lastNotifiedAt: { lte: new Date(now.getTime() - this.policy.repeatEveryMs) } },
      include: alertInclude,
    });
    await eachUntilStopped(due, signal, async (alert) => {
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
    });
  }
}
