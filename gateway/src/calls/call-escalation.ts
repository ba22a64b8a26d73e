// The elder's call, when nobody answers in the app: the open app and Web Push ring at once (call-service.ts);
// after CALL_SMS_AFTER_S an SMS with a link that opens the call goes to every member who takes SMS; when the
// ring ends unanswered, a voice notification call rings the household's first contact. An answer anywhere
// (any gateway, any member) stops what has not happened yet: each stage looks at the stored call first.
// Members' choices hold: no SMS or call to a member who turned them off, or within their quiet hours.
import type { Database } from "../../../core/database.ts";
import type { CallView } from "../../../protocol/calls.ts";
import type { Notifier, SendResult } from "../notify/notifier.ts";
import { minuteOfDay, withinWindow } from "./call-windows.ts";

export interface CallEscalationOptions {
  db: Database;
  notifier: Pick<Notifier, "sms" | "voice">;
  smsAfterMs: number;
  /** Where a phone opens the app (the SMS link), e.g. https://wx.example.cn; without it the link is a path. */
  appUrl: string | null;
  log: { warn(o: object, msg?: string): void };
}

export type FromHomeCallEvent = { type: "ringing" | "answered" | "missed"; call: CallView };

type Contact = { userId: string; phone: string };

export class CallEscalation {
  readonly #o: CallEscalationOptions;
  readonly #smsTimers = new Map<string, NodeJS.Timeout>();
  /** Sends still under way, so stop() and tests can wait for them. */
  readonly #pending = new Set<Promise<unknown>>();

  constructor(options: CallEscalationOptions) {
    this.#o = options;
  }

  /** The call service's hook: never throws, never waits for a provider. */
  onFromHomeCall = (event: FromHomeCallEvent): void => {
    const { call } = event;
    if (event.type === "ringing") {
      const timer = setTimeout(() => {
        this.#smsTimers.delete(call.id);
        this.#track(this.#smsStage(call));
      }, this.#o.smsAfterMs);
      timer.unref();
      this.#smsTimers.set(call.id, timer);
      return;
    }
    this.#clear(call.id);
    if (event.type === "missed") this.#track(this.#voiceStage(call));
  };

  /** Resolves when every send started so far has finished. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async stop(): Promise<void> {
    for (const timer of this.#smsTimers.values()) clearTimeout(timer);
    this.#smsTimers.clear();
    await this.settled();
  }

  #clear(callId: string): void {
    clearTimeout(this.#smsTimers.get(callId));
    this.#smsTimers.delete(callId);
  }

  #track(work: Promise<unknown>): void {
    const tracked = work
      .catch((error: Error) => this.#o.log.warn({ err: error.message }, "call escalation step failed"))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  async #smsStage(call: CallView): Promise<SendResult[]> {
    if (!(await this.#stillRinging(call.id))) return [];
    const link = `${this.#o.appUrl ?? ""}/family/call/${call.id}`;
    const contacts = await this.#reachableMembers(call.householdId, new Date());
    return Promise.all(
      contacts.map((c) =>
        this.#o.notifier.sms(
          { phone: c.phone, userId: c.userId, householdId: call.householdId, callId: call.id },
          "call-waiting",
          { name: call.elderName, link },
        ),
      ),
    );
  }

  async #voiceStage(call: CallView): Promise<SendResult | null> {
    const [first] = await this.#reachableMembers(call.householdId, new Date());
    if (!first) return null;
    return this.#o.notifier.voice(
      { phone: first.phone, userId: first.userId, householdId: call.householdId, callId: call.id },
      "call-voice",
      { name: call.elderName },
    );
  }

  async #stillRinging(callId: string): Promise<boolean> {
    const call = await this.#o.db.call.findUnique({ where: { id: callId }, select: { state: true } });
    return call?.state === "ringing";
  }

  /** Members with a verified number who take SMS and are outside their quiet hours, first joined first. */
  async #reachableMembers(householdId: string, now: Date): Promise<Contact[]> {
    return reachableMembers(this.#o.db, householdId, now);
  }
}

/** Who of a household an SMS or voice call may reach now (also the camera notices' rule). */
export async function reachableMembers(
  db: Database,
  householdId: string,
  now: Date,
  where: { noticeCameraOffline?: boolean; noticeCameraBack?: boolean } = {},
): Promise<Contact[]> {
  const members = await db.householdMember.findMany({
    where: { householdId, alertBySms: true, ...where, user: { phoneVerifiedAt: { not: null }, disabledAt: null } },
    orderBy: { createdAt: "asc" },
    select: {
      userId: true,
      quietStartMin: true,
      quietEndMin: true,
      user: { select: { phone: true } },
      household: { select: { timeZone: true } },
    },
  });
  return members
    .filter((m) => !inQuietHours(m, m.household.timeZone, now))
    .map((m) => ({ userId: m.userId, phone: m.user.phone! }));
}

export function inQuietHours(
  member: { quietStartMin: number | null; quietEndMin: number | null },
  timeZone: string,
  now: Date,
): boolean {
  if (member.quietStartMin === null || member.quietEndMin === null) return false;
  return withinWindow(member.quietStartMin, member.quietEndMin, minuteOfDay(now, timeZone));
}
