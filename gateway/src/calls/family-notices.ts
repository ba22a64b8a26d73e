// Notices for the family about their cameras: one when a camera has been offline FAMILY_NOTICE_OFFLINE_S
// (30 min), one when it is back. They ride on the offline alerts (no second offline detector): every alert
// check, and every alert resolution, runs sync(), which compares the stored alerts with the stored notices
// and sends what is missing. A notice row is unique per (alert, kind), so a gateway that restarts, or two
// passes at once, never tell twice, and a notice that was due while no gateway ran is sent on the next pass.
import type { Database } from "../../../core/database.ts";
import { eachUntilStopped } from "../../../core/lifecycle.ts";
import { randomId } from "../../../core/secrets.ts";
import type { NoticeKind, NoticeView, PushPayload } from "../../../protocol/calls.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { Notifier } from "../notify/notifier.ts";
import { reachableMembers } from "./call-escalation.ts";
import type { WebPush } from "./web-push.ts";

export interface FamilyNoticesOptions {
  db: Database;
  hub: LiveHub;
  push: WebPush;
  metrics: GatewayMetrics;
  log: { error(o: object, msg: string): void };
  /** A household hears of an offline camera once it has been offline this long. */
  offlineAfterMs: number;
  /** SMS as well, to members who take them outside their quiet hours (absent: push and the open app only). */
  notifier?: Pick<Notifier, "sms"> | undefined;
}

/** A camera back after more than this is still told, but older offline notices are no longer followed up. */
const FOLLOW_UP_MS = 7 * 86_400_000;

type NoticeRow = { id: string; householdId: string; deviceId: string; kind: string; createdAt: Date };
type Pending = { alertId: string; deviceId: string; householdId: string };

export class FamilyNotices {
  readonly #o: FamilyNoticesOptions;
  #running: Promise<void> = Promise.resolve();

  constructor(options: FamilyNoticesOptions) {
    this.#o = options;
  }

  /**
   * One pass, one at a time; never rejects (a failure is logged and the next pass catches up). An aborted signal
   * (the alert checks stopping) ends it between two notices: what it did not tell yet is told by the next pass.
   */
  sync(now = new Date(), signal?: AbortSignal): Promise<void> {
    this.#running = this.#running
      .then(async () => {
        await this.#tellOffline(now, signal);
        if (!signal?.aborted) await this.#tellBack(now, signal);
      })
      .catch((error: unknown) => this.#o.log.error({ err: error }, "family notices not sent"));
    return this.#running;
  }

  async list(householdId: string, limit: number): Promise<NoticeView[]> {
    const rows = await this.#o.db.notice.findMany({
      where: { householdId },
      orderBy: { createdAt: "desc" },
      take: limit,
    });
    return Promise.all(rows.map((row) => this.#toView(row)));
  }

  async #tellOffline(now: Date, signal: AbortSignal | undefined): Promise<void> {
    const { db } = this.#o;
    const alerts = await db.alert.findMany({
      where: {
        resolvedAt: null,
        kind: "offline",
        device: {
          connection: { not: "online" },
          connectionSince: { lte: new Date(now.getTime() - this.#o.offlineAfterMs) },
          householdId: { not: null },
        },
      },
      select: { id: true, deviceId: true, device: { select: { householdId: true } } },
    });
    if (alerts.length === 0) return;
    const told = await db.notice.findMany({
      where: { alertId: { in: alerts.map((a) => a.id) }, kind: "camera-offline" },
      select: { alertId: true },
    });
    const toldIds = new Set(told.map((n) => n.alertId));
    await eachUntilStopped(
      alerts.filter((a) => !toldIds.has(a.id)),
      signal,
      (alert) =>
        this.#issue("camera-offline", {
          alertId: alert.id,
          deviceId: alert.deviceId,
          householdId: alert.device.householdId!,
        }),
    );
  }

  /** Offline notices whose alert is resolved with the camera online (in the same home) get their "back". */
  async #tellBack(now: Date, signal: AbortSignal | undefined): Promise<void> {
    const { db } = this.#o;
    const offline = await db.notice.findMany({
      where: { kind: "camera-offline", createdAt: { gte: new Date(now.getTime() - FOLLOW_UP_MS) } },
      select: { alertId: true, deviceId: true, householdId: true },
    });
    if (offline.length === 0) return;
    const backs = await db.notice.findMany({
      where: { kind: "camera-back", alertId: { in: offline.map((n) => n.alertId) } },
      select: { alertId: true },
    });
    const backIds = new Set(backs.map((n) => n.alertId));
    const pending = offline.filter((n) => !backIds.has(n.alertId));
    if (pending.length === 0) return;
    const resolved = await db.alert.findMany({
      where: { id: { in: pending.map((n) => n.alertId) }, resolvedAt: { not: null }, device: { connection: "online" } },
      select: { id: true, device: { select: { householdId: true } } },
    });
    const homeOf = new Map(resolved.map((a) => [a.id, a.device.householdId]));
    const back = pending.filter((notice) => homeOf.get(notice.alertId) === notice.householdId);
    await eachUntilStopped(back, signal, (notice) => this.#issue("camera-back", notice));
  }

  async #issue(kind: NoticeKind, target: Pending): Promise<void> {
    const { db, hub, push, metrics } = this.#o;
    let row: NoticeRow;
    try {
      // Stamped with the real time it was told; `now` (the check's clock) only decides what is due.
      row = await db.notice.create({ data: { id: randomId("ntc_", 12), ...target, kind, createdAt: new Date() } });
    } catch (error) {
      if ((error as { code?: string }).code === "P2002") return; // told already (another pass, another gateway)
      throw error;
    }
    metrics.notices.inc({ kind });
    const notice = await this.#toView(row);
    const members = await db.householdMember.findMany({
      where: {
        householdId: target.householdId,
        ...(kind === "camera-offline" ? { noticeCameraOffline: true } : { noticeCameraBack: true }),
      },
      select: { userId: true },
    });
    const userIds = members.map((m) => m.userId);
    if (userIds.length === 0) return;
    hub.publish(
      { type: "notice", notice },
      { deviceId: target.deviceId, householdId: target.householdId, membersOnly: true, userIds },
    );
    await push.sendToUsers(userIds, noticePush(notice), { ttlS: 86_400, urgency: "normal" });
    await this.#sms(kind, target);
  }

  /** Once per notice, like the push: the notice row is unique per alert and kind. */
  async #sms(kind: NoticeKind, target: Pending): Promise<void> {
    const { notifier, db } = this.#o;
    if (!notifier) return;
    const household = await db.household.findUnique({ where: { id: target.householdId }, select: { elderName: true } });
    const choice = kind === "camera-offline" ? { noticeCameraOffline: true } : { noticeCameraBack: true };
    const contacts = await reachableMembers(db, target.householdId, new Date(), choice);
    const name = household?.elderName ?? "";
    const minutes = String(Math.max(1, Math.round(this.#o.offlineAfterMs / 60_000)));
    for (const c of contacts) {
      const to = { phone: c.phone, userId: c.userId, householdId: target.householdId };
      if (kind === "camera-offline") await notifier.sms(to, "camera-offline", { name, minutes });
      else await notifier.sms(to, "camera-back", { name });
    }
  }

  async #toView(row: NoticeRow): Promise<NoticeView> {
    const [household, device] = await Promise.all([
      this.#o.db.household.findUnique({ where: { id: row.householdId }, select: { elderName: true } }),
      this.#o.db.device.findUnique({ where: { id: row.deviceId }, select: { label: true } }),
    ]);
    const kind = row.kind as NoticeKind;
    const text = noticeText(kind, household?.elderName ?? "", device?.label ?? null, this.#o.offlineAfterMs);
    return {
      id: row.id,
      householdId: row.householdId,
      deviceId: row.deviceId,
      kind,
      ...text,
      createdAt: row.createdAt.toISOString(),
    };
  }
}

/** Plain Chinese, as a neighbour would say it, with what to do. */
export function noticeText(
  kind: NoticeKind,
  elderName: string,
  label: string | null,
  offlineAfterMs: number,
): { title: string; body: string } {
  const camera = label ? `「${label}」的摄像头` : "摄像头";
  if (kind === "camera-back")
    return { title: `${elderName}家的摄像头恢复了`, body: `${camera}又连上了，现在可以看家里了。` };
  const minutes = Math.max(1, Math.round(offlineAfterMs / 60_000));
  return {
    title: `${elderName}家的摄像头离线了`,
    body:
      `${camera}已经断开 ${minutes} 分钟。常见原因是停电、断网或插头松了：` +
      "可以打电话问问家里，请家人看看摄像头和路由器是否通电；还不行就联系村里的安装员。",
  };
}

function noticePush(notice: NoticeView): PushPayload {
  return {
    kind: "notice",
    title: notice.title,
    body: notice.body,
    url: `/family/camera/${notice.deviceId}`,
    tag: `notice-${notice.deviceId}`,
  };
}
