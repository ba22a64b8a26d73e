// Privacy that a call brings: an elder who declines a call home gets privacy mode for the household's chosen
// time, kept with the camera so that it ends on time across restarts and offline spells; and a member may ask
// the elder (never force) to end privacy mode, at most once a minute per camera.
import type { Database } from "../../../core/database.ts";
import type { DeviceCommand } from "../../../protocol/device-messages.ts";
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
import { isHouseholdMember } from "../access/access.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import type { CallLogger } from "./call-notices.ts";

/**
 * Cameras that came online within this window share one look for privacy times that ended while they were
 * away: a reconnect storm of 10,000 cameras costs a query a second, not one per camera.
 */
const privacyCheckWindowMs = 1000;
/** A camera tells its elder of a privacy request at most this often. */
const PRIVACY_ASK_INTERVAL_MS = 60_000;

export interface CallPrivacyOptions {
  db: Database;
  log: CallLogger;
  sendCommand(deviceId: string, command: DeviceCommand, requestedBy: string): Promise<{ status: string }>;
  /** Privacy on (a declined call) and off again later; the camera enforces it as for its own button. */
  setPrivacy(deviceId: string, enabled: boolean): Promise<unknown>;
}

export class CallPrivacy {
  readonly #o: CallPrivacyOptions;
  readonly #endTimers = new Map<string, NodeJS.Timeout>();
  readonly #askedAt = new Map<string, number>();
  /** Cameras that came online since the last look for privacy times that ended while they were away. */
  readonly #cameOnline = new Set<string>();
  #check: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: CallPrivacyOptions) {
    this.#o = options;
  }

  /** A declined call's privacy time is kept with the camera: its end is armed again (or carried out, if past). */
  async start(): Promise<void> {
    const private_ = await this.#o.db.device.findMany({
      where: { privacyUntil: { not: null } },
      select: { id: true, privacyUntil: true },
    });
    for (const device of private_) this.#armEnd(device.id, device.privacyUntil!);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#check ?? undefined);
    this.#check = null;
    for (const timer of this.#endTimers.values()) clearTimeout(timer);
    this.#endTimers.clear();
  }

  /** The elder declined a call home: privacy mode for `minutes`, ended by the gateway when they pass. */
  async afterDecline(deviceId: string, minutes: number): Promise<void> {
    const until = new Date(Date.now() + minutes * 60_000);
    await this.#o.db.device.update({ where: { id: deviceId }, data: { privacyUntil: until } });
    await this.#o
      .setPrivacy(deviceId, true)
      .catch((err: Error) => this.#o.log.warn({ deviceId, err: err.message }, "privacy after a declined call not set"));
    this.#armEnd(deviceId, until);
  }

  /** A camera came online: a declined call's privacy time that ended while it was away ends within a second. */
  onCameraOnline(deviceId: string): void {
    this.#cameOnline.add(deviceId);
    this.#check ??= this.#scheduleCheck();
  }

  /** Privacy was switched off (the elder's button, the family): a later privacy-on is not ours to end. */
  async onPrivacyOff(deviceId: string): Promise<void> {
    clearTimeout(this.#endTimers.get(deviceId));
    this.#endTimers.delete(deviceId);
    await this.#o.db.device.updateMany({ where: { id: deviceId }, data: { privacyUntil: null } });
  }

  /**
   * A member asks the elder to end privacy mode: the camera says who asks, and the elder's privacy button ends
   * it. Nothing changes until the elder presses it. Once a minute per camera, so nobody can nag.
   */
  async askToEnd(user: SignedInUser, deviceId: string): Promise<void> {
    const { db } = this.#o;
    const device = await db.device.findUnique({
      where: { id: deviceId },
      select: { householdId: true, privacy: true },
    });
    if (!device?.householdId || !(await isHouseholdMember(db, user.id, device.householdId)))
      throw notFoundError("camera");
    if (!device.privacy) throw new DomainError("conflict", { message: "the camera is not in privacy mode" });
    const last = this.#askedAt.get(deviceId) ?? -Infinity;
    if (Date.now() - last < PRIVACY_ASK_INTERVAL_MS) throw new DomainError("too-many-requests");
    this.#askedAt.set(deviceId, Date.now());
    const result = await this.#o.sendCommand(
      deviceId,
      { name: "elder-notice", params: { kind: "privacy-request", by: user.displayName } },
      user.username,
    );
    if (result.status !== "succeeded") throw new DomainError("camera-did-not-answer");
  }

  #scheduleCheck(): NodeJS.Timeout {
    return setTimeout(() => void this.#endOfCamerasBack(), privacyCheckWindowMs);
  }

  /** Privacy times past their end are few (their timers end them); those of cameras just back end now. */
  async #endOfCamerasBack(): Promise<void> {
    const cameBack = new Set(this.#cameOnline);
    this.#cameOnline.clear();
    try {
      const overdue = await this.#o.db.device.findMany({
        where: { privacyUntil: { lte: new Date() } },
        select: { id: true },
      });
      for (const { id } of overdue) if (cameBack.has(id)) await this.#end(id);
    } catch (error) {
      this.#o.log.warn({ err: (error as Error).message }, "privacy times of cameras back online not checked");
    } finally {
      this.#check = this.#cameOnline.size > 0 && !this.#stopped ? this.#scheduleCheck() : null;
    }
  }

  #armEnd(deviceId: string, at: Date): void {
    clearTimeout(this.#endTimers.get(deviceId));
    const timer = setTimeout(
      () => {
        this.#endTimers.delete(deviceId);
        void this.#end(deviceId);
      },
      Math.max(0, at.getTime() - Date.now()),
    );
    timer.unref();
    this.#endTimers.set(deviceId, timer);
  }

  /**
   * Privacy off once the stored time has passed; the time is cleared only when the camera confirmed, so a
   * camera that was offline gets it when it comes back (onCameraOnline). Never rejects.
   */
  async #end(deviceId: string): Promise<void> {
    const { db, log } = this.#o;
    try {
      const device = await db.device.findUnique({ where: { id: deviceId }, select: { privacyUntil: true } });
      const until = device?.privacyUntil;
      if (!until || until.getTime() > Date.now()) return; // cleared, or moved later by another decline
      await this.#o.setPrivacy(deviceId, false);
      await db.device.updateMany({ where: { id: deviceId, privacyUntil: until }, data: { privacyUntil: null } });
    } catch (error) {
      log.warn({ deviceId, err: (error as Error).message }, "privacy after a declined call not ended yet");
    }
  }
}
