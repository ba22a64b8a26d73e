// Telling people about a wellbeing check: one function, tell(), with one channel per way of reaching a phone.
// Today: the open app (live event) and Web Push. SMS and voice calls (the notifier of issue 18) are added as
// one more WellbeingChannel in app.ts, createWellbeing(): nothing here changes.
import type { PushPayload } from "../../../protocol/calls.ts";
import type { WellbeingCheckView } from "../../../protocol/wellbeing.ts";
import type { LiveHub } from "../events/live-hub.ts";

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
