// A call's way from ringing to its end, as a state machine kept in the call's row: ringing → answered →
// ended, or ringing → cancelled / declined (missed is the ring timer's, call-ringing.ts). Every step is a
// conditional update of the row, so of two answers (or an answer and a hang-up) racing, exactly one wins.
import type { Database } from "../../../core/database.ts";
import type { CallView } from "../../../protocol/calls.ts";
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
import { isHouseholdMember } from "../access/access.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { CallLogger, CallNotices } from "./call-notices.ts";
import type { CallPrivacy } from "./call-privacy.ts";
import type { CallTimers } from "./call-timers.ts";

export type ViewGrant = {
  token: string;
  expiresAt: string;
  whepUrl: string;
  iceServers: { urls: string | string[]; username?: string | undefined; credential?: string | undefined }[];
};

export type FromHomeCallEvent = { type: "ringing" | "answered" | "missed"; call: CallView };

export interface CallAnswerOptions {
  db: Database;
  metrics: GatewayMetrics;
  log: CallLogger;
  notices: CallNotices;
  timers: CallTimers;
  privacy: CallPrivacy;
  /** A viewer grant for live view, bound to this call, and how the view log should record the session it starts. */
  grantView(
    user: SignedInUser,
    deviceId: string,
    startedBy: "call" | "answered-call",
    callId: string,
  ): Promise<ViewGrant>;
  /** A call ended: the views granted for it end too. */
  onCallEnded(callId: string): void;
  onFromHomeCall?: ((event: FromHomeCallEvent) => void) | undefined;
}

export class CallAnswers {
  readonly #o: CallAnswerOptions;

  constructor(options: CallAnswerOptions) {
    this.#o = options;
  }

  /** A family member answers the elder's call: it is theirs if it still rings. */
  async answer(user: SignedInUser, callId: string): Promise<{ call: CallView; grant: ViewGrant | null }> {
    const { db, metrics, notices } = this.#o;
    const existing = await db.call.findUnique({
      where: { id: callId },
      select: { householdId: true, deviceId: true, direction: true },
    });
    if (
      !existing ||
      !(await isHouseholdMember(db, user.id, existing.householdId)) ||
      existing.direction !== "from-home"
    ) {
      metrics.callRefusals.inc({ reason: "unknown-call" });
      throw notFoundError("call");
    }
    const { count } = await db.call.updateMany({
      where: { id: callId, state: "ringing" },
      data: { state: "answered", answeredAt: new Date(), answeredBy: user.id, answeredByName: user.displayName },
    });
    if (count === 0) {
      metrics.callRefusals.inc({ reason: "not-ringing" });
      throw new DomainError("call-not-ringing");
    }
    this.#o.timers.clearRinging(callId);
    this.#o.timers.armUnwatchedEnd(callId, existing.deviceId);
    metrics.calls.inc({ direction: "from-home", state: "answered" });
    const call = await notices.publishUpdate(callId);
    this.#o.onFromHomeCall?.({ type: "answered", call });
    notices.tellCamera(existing.deviceId, { callId, state: "answered", by: user.displayName });
    // The call is answered either way; without a grant (no relay, camera gone offline) the app says why.
    const grant = await this.#o.grantView(user, existing.deviceId, "call", callId).catch((err: Error) => {
      this.#o.log.info({ callId, err: err.message }, "answered call without live view");
      return null;
    });
    return { call, grant };
  }

  /** Answered on the camera (the elder's press, or auto-answer): the camera announces first, then video may flow. */
  async answerAtHome(callId: string, by: "elder" | "auto"): Promise<void> {
    const { db, metrics, notices } = this.#o;
    const { count } = await db.call.updateMany({
      where: { id: callId, state: "ringing" },
      data: {
        state: "answered",
        answeredAt: new Date(),
        answeredBy: by === "elder" ? "camera" : "auto",
        answeredByName: by === "elder" ? "家里" : "自动接听",
      },
    });
    if (count === 0) return;
    this.#o.timers.clearRinging(callId);
    metrics.calls.inc({ direction: "to-home", state: "answered" });
    const call = await db.call.findUniqueOrThrow({
      where: { id: callId },
      select: { deviceId: true, callerName: true },
    });
    this.#o.timers.armUnwatchedEnd(callId, call.deviceId);
    const caller = call.callerName ?? "";
    await notices.confirmAnswerAtHome(call.deviceId, callId, by === "elder" ? caller : `auto:${caller}`);
    await notices.publishUpdate(callId);
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
    const { db } = this.#o;
    const call = await db.call.findUnique({ where: { id: callId }, select: { callerId: true, deviceId: true } });
    if (!call || call.callerId !== user.id) throw notFoundError("call");
    const { count } = await db.call.updateMany({
      where: { id: callId, state: "ringing" },
      data: { state: "cancelled", endedAt: new Date() },
    });
    if (count === 0) throw new DomainError("call-not-ringing");
    this.#o.timers.clearRinging(callId);
    this.#o.notices.tellCamera(call.deviceId, { callId, state: "ended" });
    return this.#o.notices.publishUpdate(callId);
  }

  /**
   * A member hangs up an answered call: it ends, and the camera stops showing it. Hanging up a call that has
   * ended already (a second tap, or its stream stopped first) answers the call as it is.
   */
  async hangUp(user: SignedInUser, callId: string): Promise<CallView> {
    const call = await this.#o.db.call.findUnique({ where: { id: callId }, select: { householdId: true } });
    if (!call || !(await isHouseholdMember(this.#o.db, user.id, call.householdId))) throw notFoundError("call");
    return (await this.end(callId)) ?? this.#o.notices.view(callId);
  }

  /**
   * The camera's live stream stopped (nobody watched for the grace period, privacy mode): an answered call on
   * it is over, whoever did not hang up (the app closed, the phone lost its network).
   */
  async onStreamStopped(deviceId: string): Promise<void> {
    const answered = await this.#o.db.call.findMany({ where: { deviceId, state: "answered" }, select: { id: true } });
    for (const { id } of answered) await this.end(id);
  }

  /** Answered → ended, once; null when the call was not answered (any more). */
  async end(callId: string): Promise<CallView | null> {
    const { count } = await this.#o.db.call.updateMany({
      where: { id: callId, state: "answered" },
      data: { state: "ended", endedAt: new Date() },
    });
    if (count === 0) return null;
    this.#o.timers.clearUnwatched(callId);
    this.#o.onCallEnded(callId);
    const call = await this.#o.notices.publishUpdate(callId);
    this.#o.metrics.calls.inc({ direction: call.direction, state: "ended" });
    this.#o.notices.tellCamera(call.deviceId, { callId, state: "ended" });
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
    this.#o.timers.clearRinging(ringing.id);
    this.#o.metrics.calls.inc({ direction: "to-home", state: "declined" });
    await this.#o.privacy.afterDecline(deviceId, ringing.household.declinePrivacyMin);
    await this.#o.notices.publishUpdate(ringing.id);
  }
}
