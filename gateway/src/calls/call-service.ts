// Calls between the elder and the family. The camera's call button rings every member of the household
// (open apps over the live socket, closed ones by Web Push); the first to answer gets live view with talk
// held open and the camera is told who answered; nobody within CALL_RING_S makes it a missed call.
// Whoever answers, only one answer wins: the answer is a conditional update of the ringing row.
//
// This class is the calls' one face to the gateway; each concept is its own part, as mediasoup gives each its
// own class: ringing (call-ringing.ts), the answer-to-hang-up state machine (call-answers.ts), the clocks
// (call-timers.ts), who is told (call-notices.ts) and the privacy a declined call brings (call-privacy.ts).
import type { Database } from "../../../core/database.ts";
import type { CallView } from "../../../protocol/calls.ts";
import type { DeviceCommand } from "../../../protocol/device-messages.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { CallAnswers, type FromHomeCallEvent, type ViewGrant } from "./call-answers.ts";
import { CallNotices, callInclude, toCallView, type CallLogger } from "./call-notices.ts";
import { CallPrivacy } from "./call-privacy.ts";
import { CallRinging } from "./call-ringing.ts";
import { CallTimers } from "./call-timers.ts";
import type { WebPush } from "./web-push.ts";

export { toCallView } from "./call-notices.ts";

export interface CallServiceOptions {
  db: Database;
  hub: LiveHub;
  push: WebPush;
  metrics: GatewayMetrics;
  log: CallLogger;
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
  onFromHomeCall?: ((event: FromHomeCallEvent) => void) | undefined;
}

export class CallService {
  readonly #db: Database;
  readonly #notices: CallNotices;
  readonly #timers: CallTimers;
  readonly #privacy: CallPrivacy;
  readonly #answers: CallAnswers;
  readonly #ringing: CallRinging;

  constructor(options: CallServiceOptions) {
    const { db, log, metrics, sendCommand, onFromHomeCall } = options;
    this.#db = db;
    this.#notices = new CallNotices({ db, hub: options.hub, push: options.push, log, sendCommand });
    this.#timers = new CallTimers({
      ringMs: options.ringMs,
      unwatchedEndMs: options.unwatchedEndMs,
      isWatched: options.isWatched,
      log,
      ringOut: (callId) => this.#ringing.ringOut(callId),
      autoAnswer: (callId) => this.#answers.answerAtHome(callId, "auto"),
      endUnwatched: (callId) => this.#answers.end(callId),
    });
    this.#privacy = new CallPrivacy({ db, log, sendCommand, setPrivacy: options.setPrivacy });
    const parts = { db, metrics, log, notices: this.#notices, timers: this.#timers, onFromHomeCall };
    this.#answers = new CallAnswers({
      ...parts,
      privacy: this.#privacy,
      grantView: options.grantView,
      onCallEnded: options.onCallEnded,
    });
    this.#ringing = new CallRinging({ ...parts, ringMs: options.ringMs, answers: this.#answers });
  }

  /**
   * Calls left ringing by a gateway that stopped can never be answered now: they were missed. A declined
   * call's privacy time is kept with the camera: its end is armed again (or carried out, when it passed while
   * no gateway ran).
   */
  async start(): Promise<void> {
    await this.#ringing.missLeftRinging();
    await this.#privacy.start();
  }

  stop(): void {
    this.#privacy.stop();
    this.#timers.stop();
  }

  /** A camera came online: a declined call's privacy time that ended while it was away ends within a second. */
  onCameraOnline(deviceId: string): void {
    this.#privacy.onCameraOnline(deviceId);
  }

  /** Privacy was switched off (the elder's button, the family): a later privacy-on is not ours to end. */
  onPrivacyOff(deviceId: string): Promise<void> {
    return this.#privacy.onPrivacyOff(deviceId);
  }

  /** The elder pressed the call button. */
  onCallButton(deviceId: string): Promise<void> {
    return this.#ringing.onCallButton(deviceId);
  }

  /** A family member answers the elder's call: it is theirs if it still rings. */
  answer(user: SignedInUser, callId: string): Promise<{ call: CallView; grant: ViewGrant | null }> {
    return this.#answers.answer(user, callId);
  }

  /** A family member calls home: the camera rings until the elder presses the button (or auto-answer). */
  callHome(user: SignedInUser, deviceId: string): Promise<CallView> {
    return this.#ringing.callHome(user, deviceId);
  }

  /** A member asks the elder to end privacy mode; nothing changes until the elder presses the button. */
  askToEndPrivacy(user: SignedInUser, deviceId: string): Promise<void> {
    return this.#privacy.askToEnd(user, deviceId);
  }

  /** A member changed auto-answer: the elder and the other members are told. Never rejects. */
  autoAnswerChanged(user: SignedInUser, householdId: string, afterS: number | null): Promise<void> {
    return this.#notices.autoAnswerChanged(user, householdId, afterS);
  }

  /** The caller's live view once the elder answered: the view log records it as an answered call. */
  viewAnsweredCall(user: SignedInUser, callId: string): Promise<ViewGrant> {
    return this.#answers.viewAnsweredCall(user, callId);
  }

  /** The caller gives up before the elder answers. */
  cancel(user: SignedInUser, callId: string): Promise<CallView> {
    return this.#answers.cancel(user, callId);
  }

  /** A member hangs up an answered call (hanging up an ended one answers the call as it is). */
  hangUp(user: SignedInUser, callId: string): Promise<CallView> {
    return this.#answers.hangUp(user, callId);
  }

  /** The camera's live stream stopped: an answered call on it is over. */
  onStreamStopped(deviceId: string): Promise<void> {
    return this.#answers.onStreamStopped(deviceId);
  }

  /** The elder declined a ringing call home: privacy mode for the household's chosen time. */
  onCallDeclined(deviceId: string): Promise<void> {
    return this.#answers.onCallDeclined(deviceId);
  }

  async list(
    _user: SignedInUser,
    householdIds: string[],
    query: { state?: CallView["state"] | undefined; limit: number },
  ): Promise<CallView[]> {
    const rows = await this.#db.call.findMany({
      where: { householdId: { in: householdIds }, ...(query.state ? { state: query.state } : {}) },
      orderBy: { startedAt: "desc" },
      take: query.limit,
      include: callInclude,
    });
    return rows.map(toCallView);
  }
}
