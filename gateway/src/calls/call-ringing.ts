// How calls start ringing and stop when nobody answers. The camera's call button rings every member of the
// household (open apps over the live socket, closed ones by Web Push); a member's call home rings the camera
// (answered by the elder's press or the household's auto-answer); nobody within the ring time makes it missed.
import type { Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import type { CallView } from "../../../protocol/calls.ts";
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
import { isHouseholdMember } from "../access/access.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { CallAnswers, FromHomeCallEvent } from "./call-answers.ts";
import { callInclude, toCallView, type CallLogger, type CallNotices } from "./call-notices.ts";
import type { CallTimers } from "./call-timers.ts";

export interface CallRingingOptions {
  db: Database;
  metrics: GatewayMetrics;
  log: CallLogger;
  ringMs: number;
  notices: CallNotices;
  timers: CallTimers;
  answers: CallAnswers;
  onFromHomeCall?: ((event: FromHomeCallEvent) => void) | undefined;
}

export class CallRinging {
  readonly #o: CallRingingOptions;

  constructor(options: CallRingingOptions) {
    this.#o = options;
  }

  /** Calls left ringing by a gateway that stopped can never be answered now: they were missed. */
  async missLeftRinging(): Promise<void> {
    await this.#o.db.call.updateMany({
      where: { state: "ringing", startedAt: { lt: new Date(Date.now() - this.#o.ringMs) } },
      data: { state: "missed", endedAt: new Date() },
    });
  }

  /**
   * The elder pressed the call button: it answers a call home that rings, hangs up a call in progress (as on a
   * phone), and otherwise rings the family, once: pressed again while it rings, the same call goes on ringing.
   */
  async onCallButton(deviceId: string): Promise<void> {
    const { db, metrics, log, answers } = this.#o;
    const device = await db.device.findUnique({ where: { id: deviceId }, select: { householdId: true } });
    if (!device?.householdId) {
      metrics.callRefusals.inc({ reason: "not-installed" });
      log.warn({ deviceId }, "call button on a camera in no household");
      return;
    }
    const callHome = await db.call.findFirst({ where: { deviceId, state: "ringing", direction: "to-home" } });
    if (callHome) return answers.answerAtHome(callHome.id, "elder");
    const inCall = await db.call.findFirst({ where: { deviceId, state: "answered" }, select: { id: true } });
    if (inCall) return void (await answers.end(inCall.id));
    const ringing = await db.call.findFirst({ where: { deviceId, state: "ringing", direction: "from-home" } });
    if (ringing) return void metrics.callRefusals.inc({ reason: "already-ringing" });
    await this.#ringFamily(deviceId, device.householdId);
  }

  async #ringFamily(deviceId: string, householdId: string): Promise<void> {
    const { notices, timers } = this.#o;
    const call = await this.#create({ householdId, deviceId, direction: "from-home" });
    notices.publish("call.ringing", call);
    timers.armRing(call.id);
    this.#o.onFromHomeCall?.({ type: "ringing", call });
    notices.tellCamera(deviceId, { callId: call.id, state: "calling-family" });
    await notices.pushRinging(call, this.#o.ringMs);
  }

  /** A family member calls home: the camera rings until the elder presses the button (or auto-answer). */
  async callHome(user: SignedInUser, deviceId: string): Promise<CallView> {
    const { db, metrics, notices, timers } = this.#o;
    const device = await db.device.findUnique({
      where: { id: deviceId },
      select: { householdId: true, connection: true, privacy: true, household: { select: { autoAnswerAfterS: true } } },
    });
    if (!device?.householdId || !(await isHouseholdMember(db, user.id, device.householdId)))
      throw notFoundError("camera");
    if (device.privacy) throw new DomainError("privacy-mode");
    if (device.connection !== "online") {
      metrics.callRefusals.inc({ reason: "camera-offline" });
      throw new DomainError("camera-offline");
    }
    if (await db.call.findFirst({ where: { deviceId, state: "ringing", direction: "to-home" } }))
      throw new DomainError("call-busy");
    const call = await this.#create({
      householdId: device.householdId,
      deviceId,
      direction: "to-home",
      callerId: user.id,
      callerName: user.displayName,
    });
    timers.armRing(call.id);
    const autoAnswerS = device.household?.autoAnswerAfterS;
    if (autoAnswerS) timers.armAutoAnswer(call.id, autoAnswerS * 1000);
    notices.tellCamera(deviceId, { callId: call.id, state: "ringing", by: user.displayName });
    notices.publish("call.updated", call);
    return call;
  }

  /** Nobody answered in time: the call is missed, and a missed call from home is pushed to the family. */
  async ringOut(callId: string): Promise<void> {
    const { notices } = this.#o;
    this.#o.timers.clearAutoAnswer(callId);
    const { count } = await this.#o.db.call.updateMany({
      where: { id: callId, state: "ringing" },
      data: { state: "missed", endedAt: new Date() },
    });
    if (count === 0) return;
    const call = await notices.publishUpdate(callId);
    this.#o.metrics.calls.inc({ direction: call.direction, state: "missed" });
    notices.tellCamera(call.deviceId, { callId, state: "missed" });
    if (call.direction === "from-home") {
      this.#o.onFromHomeCall?.({ type: "missed", call });
      await notices.pushMissed(call);
    }
  }

  async #create(call: {
    householdId: string;
    deviceId: string;
    direction: CallView["direction"];
    callerId?: string;
    callerName?: string;
  }): Promise<CallView> {
    const row = await this.#o.db.call.create({
      data: { id: randomId("call_", 16), ...call, state: "ringing", startedAt: new Date() },
      include: callInclude,
    });
    return toCallView(row);
  }
}
