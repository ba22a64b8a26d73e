// Calls between the elder and the family. The camera's call button rings every member of the household
// (open apps over the live socket, closed ones by Web Push); the first to answer gets live view with talk
// held open and the camera is told who answered; nobody within CALL_RING_S makes it a missed call.
// Whoever answers, only one answer wins: the answer is a conditional update of the ringing row.
import type { Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import type { CallView, PushPayload } from "../../../protocol/calls.ts";
import type { DeviceCommand } from "../../../protocol/device-messages.ts";
import type { SignedInUser } from "../access/auth.ts";
import type { LiveHub } from "../events/live-hub.ts";
import { conflict, notFound } from "../http/errors.ts";
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
  sendCommand(deviceId: string, command: DeviceCommand, requestedBy: string): Promise<unknown>;
  /** A viewer grant for live view, and how the view log should record the session it starts. */
  grantView(user: SignedInUser, deviceId: string, startedBy: "call" | "answered-call"): Promise<ViewGrant>;
  ringMs: number;
}

type ViewGrant = { token: string; expiresAt: string; whepUrl: string; iceServers: { urls: string | string[]; username?: string | undefined; credential?: string | undefined }[] };

const callInclude = { device: { select: { label: true } }, household: { select: { elderName: true } } } as const;
type CallRow = Awaited<ReturnType<Database["call"]["findUniqueOrThrow"]>> & { device: { label: string | null }; household: { elderName: string } };

export function toCallView(c: CallRow): CallView {
  return {
    id: c.id, householdId: c.householdId, deviceId: c.deviceId, label: c.device.label, elderName: c.household.elderName,
    direction: c.direction as CallView["direction"], state: c.state as CallView["state"], callerName: c.callerName,
    startedAt: c.startedAt.toISOString(), answeredAt: c.answeredAt?.toISOString() ?? null, answeredByName: c.answeredByName, endedAt: c.endedAt?.toISOString() ?? null,
  };
}

export class CallService {
  readonly #o: CallServiceOptions;
  readonly #ringTimers = new Map<string, NodeJS.Timeout>();

  constructor(options: CallServiceOptions) {
    this.#o = options;
  }

  /** Calls left ringing by a gateway that stopped can never be answered now: they were missed. */
  async start(): Promise<void> {
    const cutoff = new Date(Date.now() - this.#o.ringMs);
    await this.#o.db.call.updateMany({ where: { state: "ringing", startedAt: { lt: cutoff } }, data: { state: "missed", endedAt: new Date() } });
  }

  stop(): void {
    for (const timer of this.#ringTimers.values()) clearTimeout(timer);
    this.#ringTimers.clear();
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
    const ringing = await db.call.findFirst({ where: { deviceId, state: "ringing", direction: "from-home" } });
    if (ringing) {
      metrics.callRefusals.inc({ reason: "already-ringing" });
      return; // pressed again while it rings: the same call goes on ringing
    }
    const row = await db.call.create({
      data: { id: randomId("call_", 16), householdId: device.householdId, deviceId, direction: "from-home", state: "ringing", startedAt: new Date() },
      include: callInclude,
    });
    const call = toCallView(row);
    this.#o.hub.publish({ type: "call.ringing", call }, { deviceId, householdId: call.householdId, membersOnly: true });
    this.#armRingTimer(call.id);
    this.#tellCamera(deviceId, { callId: call.id, state: "calling-family" });
    await this.#pushToMembers(call.householdId, callPush(call), { ttlS: Math.ceil(this.#o.ringMs / 1000), urgency: "high" });
  }

  /** A family member answers the elder's call: it is theirs if it still rings. */
  async answer(user: SignedInUser, callId: string): Promise<{ call: CallView; grant: ViewGrant | null }> {
    const { db, metrics } = this.#o;
    const existing = await db.call.findUnique({ where: { id: callId }, select: { householdId: true, deviceId: true, direction: true } });
    if (!existing || !(await this.#isMember(user.id, existing.householdId)) || existing.direction !== "from-home") {
      metrics.callRefusals.inc({ reason: "unknown-call" });
      throw notFound("call");
    }
    const now = new Date();
    const { count } = await db.call.updateMany({
      where: { id: callId, state: "ringing" }, data: { state: "answered", answeredAt: now, answeredBy: user.id, answeredByName: user.displayName },
    });
    if (count === 0) {
      metrics.callRefusals.inc({ reason: "not-ringing" });
      throw conflict("call-not-ringing", "this call is no longer ringing: it was answered, missed or ended");
    }
    this.#clearRingTimer(callId);
    metrics.calls.inc({ direction: "from-home", state: "answered" });
    const call = await this.#publishUpdate(callId);
    this.#tellCamera(existing.deviceId, { callId, state: "answered", by: user.displayName });
    // The call is answered either way; without a grant (no relay, camera gone offline) the app says why.
    const grant = await this.#o.grantView(user, existing.deviceId, "call").catch((err: Error) => {
      this.#o.log.info({ callId, err: err.message }, "answered call without live view");
      return null;
    });
    return { call, grant };
  }

  async list(user: SignedInUser, householdIds: string[], query: { state?: CallView["state"] | undefined; limit: number }): Promise<CallView[]> {
    const rows = await this.#o.db.call.findMany({
      where: { householdId: { in: householdIds }, ...(query.state ? { state: query.state } : {}) },
      orderBy: { startedAt: "desc" }, take: query.limit, include: callInclude,
    });
    return rows.map(toCallView);
  }

  #armRingTimer(callId: string): void {
    const timer = setTimeout(() => {
      this.#ringTimers.delete(callId);
      this.#ringOut(callId).catch((err: Error) => this.#o.log.warn({ callId, err: err.message }, "could not end an unanswered call"));
    }, this.#o.ringMs);
    timer.unref();
    this.#ringTimers.set(callId, timer);
  }

  #clearRingTimer(callId: string): void {
    clearTimeout(this.#ringTimers.get(callId));
    this.#ringTimers.delete(callId);
  }

  async #ringOut(callId: string): Promise<void> {
    const { count } = await this.#o.db.call.updateMany({ where: { id: callId, state: "ringing" }, data: { state: "missed", endedAt: new Date() } });
    if (count === 0) return;
    const call = await this.#publishUpdate(callId);
    this.#o.metrics.calls.inc({ direction: call.direction, state: "missed" });
    this.#tellCamera(call.deviceId, { callId, state: "missed" });
    if (call.direction === "from-home") await this.#pushToMembers(call.householdId, missedPush(call), { ttlS: 86_400, urgency: "normal" });
  }

  async #publishUpdate(callId: string): Promise<CallView> {
    const call = toCallView(await this.#o.db.call.findUniqueOrThrow({ where: { id: callId }, include: callInclude }));
    this.#o.hub.publish({ type: "call.updated", call }, { deviceId: call.deviceId, householdId: call.householdId, membersOnly: true });
    return call;
  }

  #tellCamera(deviceId: string, params: Extract<DeviceCommand, { name: "call-status" }>["params"]): void {
    this.#o.sendCommand(deviceId, { name: "call-status", params }, "calls")
      .catch((err: Error) => this.#o.log.info({ deviceId, callId: params.callId, err: err.message }, "camera not told about the call"));
  }

  async #pushToMembers(householdId: string, payload: PushPayload, options: { ttlS: number; urgency: "high" | "normal" }): Promise<void> {
    const members = await this.#o.db.householdMember.findMany({ where: { householdId }, select: { userId: true } });
    await this.#o.push.sendToUsers(members.map((m) => m.userId), payload, options);
  }

  async #isMember(userId: string, householdId: string): Promise<boolean> {
    return (await this.#o.db.householdMember.findUnique({ where: { householdId_userId: { householdId, userId } } })) !== null;
  }
}

/** Plain Chinese, as the elder's children would say it. */
function callPush(call: CallView): PushPayload {
  return { kind: "call", title: `${call.elderName}家来电`, body: "家里按了呼叫键，点开就能看见、说话。", url: `/family/call/${call.id}`, tag: `call-${call.id}`, callId: call.id };
}

function missedPush(call: CallView): PushPayload {
  return { kind: "call-missed", title: `${call.elderName}家的未接来电`, body: "家里刚才呼叫过你们，点开可以回拨。", url: "/family", tag: `call-${call.id}`, callId: call.id };
}

