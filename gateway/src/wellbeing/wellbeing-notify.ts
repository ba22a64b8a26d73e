// Telling people about a wellbeing check: one function, tell(), with one channel per way of reaching a phone.
// The open app (live event), Web Push, and SMS for the questions someone must answer: most family phones in
// China get no Web Push, so without the SMS an elder's quiet morning would reach only an open app.
import type { Database } from "../../../core/database.ts";
import type { PushPayload } from "../../../protocol/calls.ts";
import type { WellbeingCheckView } from "../../../protocol/wellbeing.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { Notifier } from "../notify/notifier.ts";

export interface WellbeingMessage {
  check: WellbeingCheckView;
  title: string;
  body: string;
  /** high: a question someone must answer (raised, escalated); normal: it has been answered. */
  urgency: "high" | "normal";
}

export interface WellbeingChannel {
  readonly name: string;
  deliver(userIds: string[], message: WellbeingMessage): Promise<void>;
}

export class WellbeingNotifier {
  readonly #channels: WellbeingChannel[];
  readonly #log: { warn(o: object, msg: string): void };

  constructor(channels: WellbeingChannel[], log: { warn(o: object, msg: string): void }) {
    this.#channels = channels;
    this.#log = log;
  }

  /** Every channel, each on its own: one failing (a push service down) never stops the others. */
  async tell(userIds: string[], message: WellbeingMessage): Promise<void> {
    if (userIds.length === 0) return;
    await Promise.all(
      this.#channels.map((channel) =>
        channel.deliver(userIds, message).catch((error: unknown) => {
          this.#log.warn({ channel: channel.name, err: (error as Error).message }, "wellbeing notice not delivered");
        }),
      ),
    );
  }
}

/** The open app: the check with its words, to these people's sockets. */
export function liveChannel(hub: LiveHub): WellbeingChannel {
  return {
    name: "live",
    async deliver(userIds, message) {
      const { check, title, body } = message;
      hub.publish(
        { type: "wellbeing.check", check, notice: { title, body } },
        { deviceId: "", householdId: check.householdId, userIds },
      );
    },
  };
}

/** Web Push through the calls part's sender (it never throws). */
export function pushChannel(push: {
  sendToUsers(ids: string[], payload: PushPayload, o: { ttlS: number; urgency: "high" | "normal" }): Promise<void>;
}): WellbeingChannel {
  return {
    name: "web-push",
    deliver: (userIds, { check, title, body, urgency }) =>
      push.sendToUsers(
        userIds,
        { kind: "wellbeing", title, body, url: "/", tag: `wellbeing-${check.householdId}` },
        { ttlS: 6 * 3600, urgency },
      ),
  };
}

type Contact = { userId: string; phone: string };

/**
 * SMS, only for a question someone must answer (urgency high): when a check is raised, to the family members
 * their own rule lets an SMS reach now (`reachableMembers`: a verified number, SMS on, outside their quiet hours);
 * when it is escalated, to the village contacts told, asking them to go and look. Answers and closings travel in
 * the app and Web Push only: a text per "all is well" would cost without helping anyone.
 */
export function smsChannel(o: {
  db: Database;
  notifier: Pick<Notifier, "sms">;
  reachableMembers(householdId: string, now: Date): Promise<Contact[]>;
}): WellbeingChannel {
  return {
    name: "sms",
    async deliver(userIds, { check, urgency }) {
      if (urgency !== "high") return;
      const told = new Set(userIds);
      const at = { householdId: check.householdId };
      if (check.state === "open") {
        const members = (await o.reachableMembers(check.householdId, new Date())).filter((m) => told.has(m.userId));
        for (const m of members) await o.notifier.sms({ ...m, ...at }, "wellbeing-check", { name: check.elderName });
        return;
      }
      const params = { village: check.village, name: check.elderName, phone: check.contactPhone };
      for (const c of await verifiedPhones(o.db, userIds))
        await o.notifier.sms({ ...c, ...at }, "wellbeing-visit", params);
    },
  };
}

async function verifiedPhones(db: Database, userIds: string[]): Promise<Contact[]> {
  const users = await db.user.findMany({
    where: { id: { in: userIds }, phone: { not: null }, phoneVerifiedAt: { not: null }, disabledAt: null },
    select: { id: true, phone: true },
  });
  return users.map((u) => ({ userId: u.id, phone: u.phone! }));
}
