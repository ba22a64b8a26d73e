// Who hears about a call, and how: the household's open apps over the live socket, the camera (its ring,
// ring-back and screen), and closed apps by Web Push, in plain Chinese. Telling never fails a call: a camera
// or a push that does not answer is logged.
import type { Database } from "../../../core/database.ts";
import type { CallView, PushPayload } from "../../../protocol/calls.ts";
import type { DeviceCommand } from "../../../protocol/device-messages.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { WebPush } from "./web-push.ts";

export interface CallLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export const callInclude = { device: { select: { label: true } }, household: { select: { elderName: true } } } as const;
export type CallRow = Awaited<ReturnType<Database["call"]["findUniqueOrThrow"]>> & {
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

export type CallStatus = Extract<DeviceCommand, { name: "call-status" }>["params"];

export interface CallNoticesOptions {
  db: Database;
  hub: LiveHub;
  push: WebPush;
  log: CallLogger;
  sendCommand(deviceId: string, command: DeviceCommand, requestedBy: string): Promise<{ status: string }>;
}

export class CallNotices {
  readonly #o: CallNoticesOptions;

  constructor(options: CallNoticesOptions) {
    this.#o = options;
  }

  async view(callId: string): Promise<CallView> {
    return toCallView(await this.#o.db.call.findUniqueOrThrow({ where: { id: callId }, include: callInclude }));
  }

  /** The call as it is now, to the household's members (their open apps). */
  async publishUpdate(callId: string): Promise<CallView> {
    const call = await this.view(callId);
    this.publish("call.updated", call);
    return call;
  }

  publish(type: "call.ringing" | "call.updated", call: CallView): void {
    this.#o.hub.publish({ type, call }, { deviceId: call.deviceId, householdId: call.householdId, membersOnly: true });
  }

  /** Where the call stands, to the camera (its ring, ring-back and screen); never rejects. */
  tellCamera(deviceId: string, params: CallStatus): void {
    this.#o
      .sendCommand(deviceId, { name: "call-status", params }, "calls")
      .catch((err: Error) =>
        this.#o.log.info({ deviceId, callId: params.callId, err: err.message }, "camera not told about the call"),
      );
  }

  /** The camera's answer: it announces the caller (or the auto-answer) before video may flow. */
  async confirmAnswerAtHome(deviceId: string, callId: string, by: string): Promise<void> {
    await this.#o
      .sendCommand(deviceId, { name: "call-status", params: { callId, state: "answered", by } }, "calls")
      .catch((err: Error) => this.#o.log.info({ callId, err: err.message }, "camera did not confirm the answer"));
  }

  async pushRinging(call: CallView, ringMs: number): Promise<void> {
    await this.#pushToMembers(call.householdId, callPush(call), { ttlS: Math.ceil(ringMs / 1000), urgency: "high" });
  }

  async pushMissed(call: CallView): Promise<void> {
    await this.#pushToMembers(call.householdId, missedPush(call), { ttlS: 86_400, urgency: "normal" });
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
      for (const camera of cameras) this.#tellElderOfAutoAnswer(camera.id, user.displayName, afterS);
      await this.#o.push.sendToUsers(
        members.map((m) => m.userId),
        autoAnswerPush(household.elderName, user.displayName, afterS),
        { ttlS: 86_400, urgency: "normal" },
      );
    } catch (error) {
      log.warn({ householdId, err: (error as Error).message }, "auto-answer change not told");
    }
  }

  #tellElderOfAutoAnswer(deviceId: string, by: string, afterS: number | null): void {
    this.#o
      .sendCommand(deviceId, { name: "elder-notice", params: { kind: "auto-answer", by, afterS } }, "calls")
      .catch((err: Error) => this.#o.log.info({ deviceId, err: err.message }, "camera not told of auto-answer"));
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
