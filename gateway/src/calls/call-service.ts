// Calls between the elder and the family. The camera's call button rings every member of the household
// (open apps over the live socket, closed ones by Web Push); the first to answer gets live view with talk
// held open and the camera is told who answered; nobody within CALL_RING_S makes it a missed call.
// Whoever answers, only one answer wins: the answer is a conditional update of the ringing row.
import type { Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import type { CallView, PushPayload } from "../../../protocol/calls.ts";
import type { DeviceCommand } from "../../../protocol/device-messages.ts";
import { isHouseholdMember } from "../access/access.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import type { LiveHub } from "../events/live-hub.ts";
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { WebPush } from "./web-push.ts";

interface Logger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface CallServiceOptions {
  db: Database;
  hub: LiveHub;
  push: WebPush;
  metrics: GatewayMetrics;
  log: Logger;
  /** Tells the camera where a call stands (its ring, ring-back and screen). */
  sendCommand(deviceId: string, command: DeviceCommand, requestedBy: string): Promise<{ status: string }>;
  /** A viewer grant for live view, bound to this call, and how the view log should record the session it starts. */
  grantView(
    user: SignedInUser,
    deviceId: string,
    startedBy: "call" | "answered-call",
    callId: string,
  ): Promise<ViewGrant>;
  /** Whether anybody watches the camera through this gateway now (or its stream is starting or stopping). */
  isWatched(deviceId: string): boolean;
  /** A call ended: the views granted for it end too. */
  onCallEnded(callId: string): void;
  ringMs: number;
  /** An answered call that nobody is watching this long after the answer ends (the app closed, relay off). */
  unwatchedEndMs: number;
  /** Privacy on (a declined call) and off again later; the camera enforces it as for its own button. */
  setPrivacy(deviceId: string, enabled: boolean): Promise<unknown>;
  /** Told when a call from home rings, is answered or is missed (the SMS and voice escalation); must not throw. */
  onFromHomeCall?: ((event: { type: "ringing" | "answered" | "missed"; call: CallView }) => void) | undefined;
}

/**
 * Cameras that came online within this window share one look for privacy times that ended while they were
 * away: a reconnect storm of 10,000 cameras costs a query a second, not one per camera.
 */
const privacyCheckWindowMs = 1000;
/** A camera tells its elder of a privacy request at most this often. */
const PRIVACY_ASK_INTERVAL_MS = 60_000;

type ViewGrant = {
  token: string;
  expiresAt: string;
  whepUrl: string;
  iceServers: { urls: string | string[]; username?: string | undefined; credential?: string | undefined }[];
};

const callInclude = { device: { select: { label: true } }, household: { select: { elderName: true } } } as const;
type CallRow = Awaited<ReturnType<Database["call"]["findUniqueOrThrow"]>> & {
  device: { label: string | null };
  household: { elderName: string };
};

export function toCallView(c: CallRow): CallView {
  return {
    id: c.id,
    householdId: c.householdId,
    deviceId: c.deviceId,
    label: c.device.label,
    elderName: c.household.elderName,
    direction: c.direction as CallView["direction"],
    state: c.state as CallView["state"],
    callerName: c.callerName,
    startedAt: c.startedAt.toISOString(),
    answeredAt: c.answeredAt?.toISOString() ?? null,
    answeredByName: c.answeredByName,
    autoAnswered: c.answeredBy === "auto",
    endedAt: c.endedAt?.toISOString() ?? null,
  };
}

export class CallService {
  readonly #o: CallServiceOptions;
  readonly #ringTimers = new Map<string, NodeJS.Timeout>();
  readonly #autoAnswerTimers = new Map<string, NodeJS.Timeout>();
  readonly #privacyTimers = new Map<string, NodeJS.Timeout>();
  readonly #unwatchedTimers = new Map<string, NodeJS.Timeout>();
  readonly #privacyAskedAt = new Map<string, number>();
  /** Cameras that came online since the last look for privacy times that ended while they were away. */
  readonly #cameOnline = new Set<string>();
  #privacyCheck: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: CallServiceOptions) {
    this.#o = options;
  }

  /**
   * Calls left ringing by a gateway that stopped can never be answered now: they were missed. A declined
   * call's privacy time is kept with the camera: its end is armed again (or carried out, when it passed while
   * no gateway ran).
   */
  async start(): Promise<void> {
    const cutoff = new Date(Date.now() - this.#o.ringMs);
    await this.#o.db.call.updateMany({
      where: { state: "ringing", startedAt: { lt: cutoff } },
      data: { state: "missed", endedAt: new Date() },
    });
    const private_ = await this.#o.db.device.findMany({
      where: { privacyUntil: { not: null } },
      select: { id: true, privacyUntil: true },
    });
    for (const device of private_) this.#armPrivacyEnd(device.id, device.privacyUntil!);
  }

  /** A camera came online: a declined call's privacy time that ended while it was away ends within a second. */
  onCameraOnline(deviceId: string): void {
    this.#cameOnline.add(deviceId);
    this.#privacyCheck ??= this.#schedulePrivacyCheck();
  }

  #schedulePrivacyCheck(): NodeJS.Timeout {
    return setTimeout(() => void this.#endPrivacyOfCamerasBack(), privacyCheckWindowMs);
  }

  /** Privacy times past their end are few (their timers end them); those of cameras just back end now. */
  async #endPrivacyOfCamerasBack(): Promise<void> {
    const cameBack = new Set(this.#cameOnline);
    this.#cameOnline.clear();
    try {
      const overdue = await this.#o.db.device.findMany({
        where: { privacyUntil: { lte: new Date() } },
        select: { id: true },
      });
      for (const { id } of overdue) if (cameBack.has(id)) await this.#endPrivacy(id);
    } catch (error) {
      this.#o.log.warn({ err: (error as Error).message }, "privacy times of cameras back online not checked");
    } finally {
      this.#privacyCheck = this.#cameOnline.size > 0 && !this.#stopped ? this.#schedulePrivacyCheck() : null;
    }
  }

  /** Privacy was switched off (the elder's button, the family): a later privacy-on is not ours to end. */
  async onPrivacyOff(deviceId: string): Promise<void> {
    clearTimeout(this.#privacyTimers.get(deviceId));
    this.#privacyTimers.delete(deviceId);
    await this.#o.db.device.updateMany({ where: { id: deviceId }, data: { privacyUntil: null } });
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#privacyCheck ?? undefined);
    this.#privacyCheck = null;
    for (const timers of [this.#ringTimers, this.#autoAnswerTimers, this.#privacyTimers, this.#unwatchedTimers]) {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    }
  }

  /** The elder pressed the call button. */
  async onCallButton(deviceId: string): Promise<void> {
    const { db, metrics, log } = this.#o;
    const device = await db.device.findUnique({ where: { id: deviceId }, select: { householdId: true } });
    if (!device?.householdId) {
      metrics.callRefusals.inc({ reason: "not-installed" });
      log.warn({ deviceId }, "call button on a camera in no household");
      return;
    }
    const callHome = await db.call.findFirst({ where: { deviceId, state: "ringing", direction: "to-home" } });
    if (callHome) return this.#answerAtHome(callHome.id, "elder");
    // In a call the button is the elder's hang-up, as on a phone: it ends the call, it does not ring again.
    const inCall = await db.call.findFirst({ where: { deviceId, state: "answered" }, select: { id: true } });
    if (inCall) return void (await this.#end(inCall.id));
    const ringing = await db.call.findFirst({ where: { deviceId, state: "ringing", direction: "from-home" } });
    if (ringing) {
      metrics.callRefusals.inc({ reason: "already-ringing" });
      return; // pressed again while it rings: the same call goes on ringing
    }
    const row = await db.call.create({
      data: {
        id: randomId("call_", 16),
        householdId: device.householdId,
        deviceId,
        direction: "from-home",
        state: "ringing",
        startedAt: new Date(),
      },
      include: callInclude,
    });
    const call = toCallView(row);
    this.#o.hub.publish({ type: "call.ringing", call }, { deviceId, householdId: call.householdId, membersOnly: true });
    this.#armRingTimer(call.id);
    this.#o.onFromHomeCall?.({ type: "ringing", call });
    this.#tellCamera(deviceId, { callId: call.id, state: "calling-family" });
    await this.#pushToMembers(call.householdId, callPush(call), {
      ttlS: Math.ceil(this.#o.ringMs / 1000),
      urgency: "high",
    });
  }

  /** A family member answers the elder's call: it is theirs if it still rings. */
  async answer(user: SignedInUser, callId: string): Promise<{ call: CallView; grant: ViewGrant | null }> {
    const { db, metrics } = this.#o;
    const existing = await db.call.findUnique({
      where: { id: callId },
      select: { householdId: true, deviceId: true, direction: true },
    });
    if (!existing || !(await this.#isMember(user.id, existing.householdId)) || existing.direction !== "from-home") {
      metrics.callRefusals.inc({ reason: "unknown-call" });
      throw notFoundError("call");
    }
    const now = new Date();
    const { count } = await db.call.updateMany({
      where: { id: callId, state: "ringing" },
      data: { state: "answered", answeredAt: now, answeredBy: user.id, answeredByName: user.displayName },
    });
    if (count === 0) {
      metrics.callRefusals.inc({ reason: "not-ringing" });
      throw new DomainError("call-not-ringing");
    }
    this.#clearTimers(callId);
    this.#armUnwatchedEnd(callId, existing.deviceId);
    metrics.calls.inc({ direction: "from-home", state: "answered" });
    const call = await this.#publishUpdate(callId);
    this.#o.onFromHomeCall?.({ type: "answered", call });
    this.#tellCamera(existing.deviceId, { callId, state: "answered", by: user.displayName });
    // The call is answered either way; without a grant (no relay, camera gone offline) the app says why.
    const grant = await this.#o.grantView(user, existing.deviceId, "call", callId).catch((err: Error) => {
      this.#o.log.info({ callId, err: err.message }, "answered call without live view");
      return null;
    });
    return { call, grant };
  }

  /** A family member calls home: the camera rings until the elder presses the button (or auto-answer). */
  async callHome(user: SignedInUser, deviceId: string): Promise<CallView> {
    const { db, metrics } = this.#o;
    const device = await db.device.findUnique({
      where: { id: deviceId },
      select: { householdId: true, connection: true, privacy: true, household: { select: { autoAnswerAfterS: true } } },
    });
    if (!device?.householdId || !(await this.#isMember(user.id, device.householdId))) throw notFoundError("camera");
    if (device.privacy) throw new DomainError("privacy-mode");
    if (device.connection !== "online") {
      metrics.callRefusals.inc({ reason: "camera-offline" });
      throw new DomainError("camera-offline");
    }
    if (await db.call.findFirst({ where: { deviceId, state: "ringing", direction: "to-home" } }))
      throw new DomainError("call-busy");
    const row = await db.call.create({
      data: {
        id: randomId("call_", 16),
        householdId: device.householdId,
        deviceId,
        direction: "to-home",
        state: "ringing",
        callerId: user.id,
        callerName: user.displayName,
        startedAt: new Date(),
      },
      include: callInclude,
    });
    const call = toCallView(row);
    this.#armRingTimer(call.id);
    const autoAnswerS = device.household?.autoAnswerAfterS;
    if (autoAnswerS) this.#armAutoAnswer(call.id, autoAnswerS * 1000);
    this.#tellCamera(deviceId, { callId: call.id, state: "ringing", by: user.displayName });
    this.#o.hub.publish({ type: "call.updated", call }, { deviceId, householdId: call.householdId, membersOnly: true });
    return call;
  }

  /**
   * A member asks the elder to end privacy mode: the camera says who asks, and the elder's privacy button ends
   * it. Nothing changes until the elder presses it. Once a minute per camera, so nobody can nag.
   */
  async askToEndPrivacy(user: SignedInUser, deviceId: string): Promise<void> {
    const device = await this.#o.db.device.findUnique({
      where: { id: deviceId },
      select: { householdId: true, privacy: true },
    });
    if (!device?.householdId || !(await this.#isMember(user.id, device.householdId))) throw notFoundError("camera");
    if (!device.privacy) throw new DomainError("conflict", { message: "the camera is not in privacy mode" });
    const last = this.#privacyAskedAt.get(deviceId) ?? -Infinity;
    if (Date.now() - last < PRIVACY_ASK_INTERVAL_MS) throw new DomainError("too-many-requests");
    this.#privacyAskedAt.set(deviceId, Date.now());
    const result = await this.#o.sendCommand(
      deviceId,
      { name: "elder-notice", params: { kind: "privacy-request", by: user.displayName } },
      user.username,
    );
    if (result.status !== "succeeded") throw new DomainError("camera-did-not-answer");
  }

  /**
   * A member changed auto-answer: the elder hears it from the camera (calls will connect by themselves), and
   * the household's other members are told who changed it. Never rejects: the setting is stored already.
   */
  async autoAnswerChanged(user: SignedInUser, householdId: string, afterS: number | null): Promise<void> {
    const { db, log } = this.#o;
    try {
      const [cameras, members, household] = await Promise.all([
        db.device.findMany({ where: { householdId, claimState: "claimed" }, select: { id: true } }),
        db.householdMember.findMany({ where: { householdId, userId: { not: user.id } }, select: { userId: true } }),
        db.household.findUniqueOrThrow({ where: { id: householdId }, select: { elderName: true } }),
      ]);
      for (const camera of cameras)
        this.#o
          .sendCommand(
            camera.id,
            { name: "elder-notice", params: { kind: "auto-answer", by: user.displayName, afterS } },
            "calls",
          )
          .catch((err: Error) => log.info({ deviceId: camera.id, err: err.message }, "camera not told of auto-answer"));
      await this.#o.push.sendToUsers(
        members.map((m) => m.userId),
        autoAnswerPush(household.elderName, user.displayName, afterS),
        { ttlS: 86_400, urgency: "normal" },
      );
    } catch (error) {
      log.warn({ householdId, err: (error as Error).message }, "auto-answer change not told");
    }
  }

  /** The caller's live view once the elder answered: the view log records it as an answered call. */
  async viewAnsweredCall(user: SignedInUser, callId: string): Promise<ViewGrant> {
    const call = await this.#o.db.call.findUnique({
      where: { id: callId },
      select: { callerId: true, state: true, deviceId: true, direction: true },
    });
    if (!call || call.direction !== "to-home" || call.callerId !== user.id) throw notFoundError("call");
    if (call.state === "ringing")
      throw new DomainError("call-not-ringing", { message: "this call has not been answered" });
    if (call.state !== "answered") throw new DomainError("call-over");
    return this.#o.grantView(user, call.deviceId, "answered-call", callId);
  }

  /** The caller gives up before the elder answers. */
  async cancel(user: SignedInUser, callId: string): Promise<CallView> {
    const call = await this.#o.db.call.findUnique({
      where: { id: callId },
      select: { callerId: true, deviceId: true },
    });
    if (!call || call.callerId !== user.id) throw notFoundError("call");
    const { count } = await this.#o.db.call.updateMany({
      where: { id: callId, state: "ringing" },
      data: { state: "cancelled", endedAt: new Date() },
    });
    if (count === 0) throw new DomainError("call-not-ringing");
    this.#clearTimers(callId);
    this.#tellCamera(call.deviceId, { callId, state: "ended" });
    return this.#publishUpdate(callId);
  }

  /**
   * A member hangs up an answered call: it ends, and the camera stops showing it. Hanging up a call that has
   * ended already (a second tap, or its stream stopped first) answers the call as it is.
   */
  async hangUp(user: SignedInUser, callId: string): Promise<CallView> {
    const call = await this.#o.db.call.findUnique({ where: { id: callId }, select: { householdId: true } });
    if (!call || !(await this.#isMember(user.id, call.householdId))) throw notFoundError("call");
    return (await this.#end(callId)) ?? this.#view(callId);
  }

  /**
   * The camera's live stream stopped (nobody watched for the grace period, privacy mode): an answered call on
   * it is over, whoever did not hang up (the app closed, the phone lost its network).
   */
  async onStreamStopped(deviceId: string): Promise<void> {
    const answered = await this.#o.db.call.findMany({ where: { deviceId, state: "answered" }, select: { id: true } });
    for (const { id } of answered) await this.#end(id);
  }

  /** Answered → ended, once; null when the call was not answered (any more). */
  async #end(callId: string): Promise<CallView | null> {
    const { count } = await this.#o.db.call.updateMany({
      where: { id: callId, state: "answered" },
      data: { state: "ended", endedAt: new Date() },
    });
    if (count === 0) return null;
    clearTimeout(this.#unwatchedTimers.get(callId));
    this.#unwatchedTimers.delete(callId);
    this.#o.onCallEnded(callId);
    const call = await this.#publishUpdate(callId);
    this.#o.metrics.calls.inc({ direction: call.direction, state: "ended" });
    this.#tellCamera(call.deviceId, { callId, state: "ended" });
    return call;
  }

  /** The elder declined a ringing call home: privacy mode for the household's chosen time. */
  async onCallDeclined(deviceId: string): Promise<void> {
    const { db } = this.#o;
    const ringing = await db.call.findFirst({
      where: { deviceId, state: "ringing", direction: "to-home" },
      include: { household: { select: { declinePrivacyMin: true } } },
    });
    if (!ringing) return;
    const { count } = await db.call.updateMany({
      where: { id: ringing.id, state: "ringing" },
      data: { state: "declined", endedAt: new Date() },
    });
    if (count === 0) return;
    this.#clearTimers(ringing.id);
    this.#o.metrics.calls.inc({ direction: "to-home", state: "declined" });
    const until = new Date(Date.now() + ringing.household.declinePrivacyMin * 60_000);
    await db.device.update({ where: { id: deviceId }, data: { privacyUntil: until } });
    await this.#o
      .setPrivacy(deviceId, true)
      .catch((err: Error) => this.#o.log.warn({ deviceId, err: err.message }, "privacy after a declined call not set"));
    this.#armPrivacyEnd(deviceId, until);
    await this.#publishUpdate(ringing.id);
  }

  /** Answered on the camera (the elder's press, or auto-answer): the camera announces first, then video may flow. */
  async #answerAtHome(callId: string, by: "elder" | "auto"): Promise<void> {
    const { db, metrics } = this.#o;
    const name = by === "elder" ? "家里" : "自动接听";
    const { count } = await db.call.updateMany({
      where: { id: callId, state: "ringing" },
      data: {
        state: "answered",
        answeredAt: new Date(),
        answeredBy: by === "elder" ? "camera" : "auto",
        answeredByName: name,
      },
    });
    if (count === 0) return;
    this.#clearTimers(callId);
    metrics.calls.inc({ direction: "to-home", state: "answered" });
    const call = await db.call.findUniqueOrThrow({
      where: { id: callId },
      select: { deviceId: true, callerName: true },
    });
    this.#armUnwatchedEnd(callId, call.deviceId);
    await this.#o
      .sendCommand(
        call.deviceId,
        {
          name: "call-status",
          params: {
            callId,
            state: "answered",
            by: by === "elder" ? (call.callerName ?? "") : `auto:${call.callerName ?? ""}`,
          },
        },
        "calls",
      )
      .catch((err: Error) => this.#o.log.info({ callId, err: err.message }, "camera did not confirm the answer"));
    await this.#publishUpdate(callId);
  }

  #armAutoAnswer(callId: string, afterMs: number): void {
    const timer = setTimeout(() => {
      this.#autoAnswerTimers.delete(callId);
      this.#answerAtHome(callId, "auto").catch((err: Error) =>
        this.#o.log.warn({ callId, err: err.message }, "auto-answer failed"),
      );
    }, afterMs);
    timer.unref();
    this.#autoAnswerTimers.set(callId, timer);
  }

  /**
   * An answered call is a view between two people: if nobody is watching a while after the answer (the caller's
   * app closed before it joined, the relay is off), it ends, and nothing granted for it outlives it. Once
   * somebody watched, the stream stopping ends it (onStreamStopped).
   */
  #armUnwatchedEnd(callId: string, deviceId: string): void {
    const timer = setTimeout(() => {
      this.#unwatchedTimers.delete(callId);
      if (this.#o.isWatched(deviceId)) return;
      this.#end(callId).catch((err: Error) =>
        this.#o.log.warn({ callId, err: err.message }, "unwatched call not ended"),
      );
    }, this.#o.unwatchedEndMs);
    timer.unref();
    this.#unwatchedTimers.set(callId, timer);
  }

  #armPrivacyEnd(deviceId: string, at: Date): void {
    clearTimeout(this.#privacyTimers.get(deviceId));
    const timer = setTimeout(
      () => {
        this.#privacyTimers.delete(deviceId);
        void this.#endPrivacy(deviceId);
      },
      Math.max(0, at.getTime() - Date.now()),
    );
    timer.unref();
    this.#privacyTimers.set(deviceId, timer);
  }

  /**
   * Privacy off once the stored time has passed; the time is cleared only when the camera confirmed, so a
   * camera that was offline gets it when it comes back (onCameraOnline). Never rejects.
   */
  async #endPrivacy(deviceId: string): Promise<void> {
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

  #clearTimers(callId: string): void {
    this.#clearRingTimer(callId);
    clearTimeout(this.#autoAnswerTimers.get(callId));
    this.#autoAnswerTimers.delete(callId);
  }

  async list(
    user: SignedInUser,
    householdIds: string[],
    query: { state?: CallView["state"] | undefined; limit: number },
  ): Promise<CallView[]> {
    const rows = await this.#o.db.call.findMany({
      where: { householdId: { in: householdIds }, ...(query.state ? { state: query.state } : {}) },
      orderBy: { startedAt: "desc" },
      take: query.limit,
      include: callInclude,
    });
    return rows.map(toCallView);
  }

  #armRingTimer(callId: string): void {
    const timer = setTimeout(() => {
      this.#ringTimers.delete(callId);
      this.#ringOut(callId).catch((err: Error) =>
        this.#o.log.warn({ callId, err: err.message }, "could not end an unanswered call"),
      );
    }, this.#o.ringMs);
    timer.unref();
    this.#ringTimers.set(callId, timer);
  }

  #clearRingTimer(callId: string): void {
    clearTimeout(this.#ringTimers.get(callId));
    this.#ringTimers.delete(callId);
  }

  async #ringOut(callId: string): Promise<void> {
    clearTimeout(this.#autoAnswerTimers.get(callId));
    this.#autoAnswerTimers.delete(callId);
    const { count } = await this.#o.db.call.updateMany({
      where: { id: callId, state: "ringing" },
      data: { state: "missed", endedAt: new Date() },
    });
    if (count === 0) return;
    const call = await this.#publishUpdate(callId);
    this.#o.metrics.calls.inc({ direction: call.direction, state: "missed" });
    this.#tellCamera(call.deviceId, { callId, state: "missed" });
    if (call.direction === "from-home") this.#o.onFromHomeCall?.({ type: "missed", call });
    if (call.direction === "from-home")
      await this.#pushToMembers(call.householdId, missedPush(call), { ttlS: 86_400, urgency: "normal" });
  }

  async #view(callId: string): Promise<CallView> {
    return toCallView(await this.#o.db.call.findUniqueOrThrow({ where: { id: callId }, include: callInclude }));
  }

  async #publishUpdate(callId: string): Promise<CallView> {
    const call = await this.#view(callId);
    this.#o.hub.publish(
      { type: "call.updated", call },
      { deviceId: call.deviceId, householdId: call.householdId, membersOnly: true },
    );
    return call;
  }

  #tellCamera(deviceId: string, params: Extract<DeviceCommand, { name: "call-status" }>["params"]): void {
    this.#o
      .sendCommand(deviceId, { name: "call-status", params }, "calls")
      .catch((err: Error) =>
        this.#o.log.info({ deviceId, callId: params.callId, err: err.message }, "camera not told about the call"),
      );
  }

  async #pushToMembers(
    householdId: string,
    payload: PushPayload,
    options: { ttlS: number; urgency: "high" | "normal" },
  ): Promise<void> {
    const members = await this.#o.db.householdMember.findMany({ where: { householdId }, select: { userId: true } });
    await this.#o.push.sendToUsers(
      members.map((m) => m.userId),
      payload,
      options,
    );
  }

  #isMember(userId: string, householdId: string): Promise<boolean> {
    return isHouseholdMember(this.#o.db, userId, householdId);
  }
}

/** Plain Chinese, as the elder's children would say it. */
function callPush(call: CallView): PushPayload {
  return {
    kind: "call",
    title: `${call.elderName}家来电`,
    body: "家里按了呼叫键，点开就能看见、说话。",
    url: `/family/call/${call.id}`,
    tag: `call-${call.id}`,
    callId: call.id,
  };
}

function missedPush(call: CallView): PushPayload {
  return {
    kind: "call-missed",
    title: `${call.elderName}家的未接来电`,
    body: "家里刚才呼叫过你们，点开可以回拨。",
    url: "/family",
    tag: `call-${call.id}`,
    callId: call.id,
  };
}

function autoAnswerPush(elderName: string, by: string, afterS: number | null): PushPayload {
  return {
    kind: "notice",
    title: afterS ? `${by}打开了${elderName}家的自动接听` : `${by}关掉了${elderName}家的自动接听`,
    body: afterS
      ? `家人打回家的电话，响 ${afterS} 秒后会自动接通。摄像头已经告诉老人。`
      : "家人打回家的电话，要老人按键才接通。摄像头已经告诉老人。",
    url: "/family",
    tag: "auto-answer",
  };
}
