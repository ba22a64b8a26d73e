// The camera's call button and what it plays about calls: a ring-back while the family is being called,
// a ring when the family calls home, who answered, and a missed-call tone. The button sends one event; the
// gateway decides whether it answers a ringing call or starts a new one, and says so with call-status.
import type { DeviceCommand } from "../../protocol/index.ts";

type CallStatus = Extract<DeviceCommand, { name: "call-status" }>["params"];
type ElderNotice = Extract<DeviceCommand, { name: "elder-notice" }>["params"];

/** What the elder hears and sees: idle, ring-back (calling-family), ringing, in a call. */
export type CallPanelState = "idle" | "calling-family" | "ringing" | "in-call";

export interface CallPanelSnapshot {
  state: CallPanelState;
  callId: string | null;
  /** Who answered the last call (a family member's name, or the elder's own press). */
  answeredBy: string | null;
  buttonPresses: number;
  /** Presses that went nowhere: the camera was offline (a real one plays an error tone). */
  pressesWhileOffline: number;
  /** Calls home the elder declined (privacy button while ringing). */
  declined: number;
  /** Every call-status the camera played, oldest first. */
  log: { at: string; callId: string; state: CallStatus["state"]; by: string | null }[];
  /** What the camera said to the elder (privacy requests, auto-answer changes), oldest first. */
  notices: { at: string; said: string }[];
}

export class CallPanel {
  #state: CallPanelState = "idle";
  #callId: string | null = null;
  #answeredBy: string | null = null;
  #presses = 0;
  #offlinePresses = 0;
  #declined = 0;
  readonly #log: CallPanelSnapshot["log"] = [];
  readonly #notices: CallPanelSnapshot["notices"] = [];

  /** Counts a press; says whether it can be sent (the caller publishes the event). */
  press(online: boolean): boolean {
    this.#presses += 1;
    if (!online) this.#offlinePresses += 1;
    return online;
  }

  onStatus(status: CallStatus): void {
    this.#log.push({ at: new Date().toISOString(), callId: status.callId, state: status.state, by: status.by ?? null });
    if (this.#log.length > 100) this.#log.shift();
    if (this.#isAboutAnEarlierCall(status)) return;
    this.#callId = status.callId;
    if (status.state === "answered") this.#answeredBy = status.by ?? null;
    this.#state = (
      {
        "calling-family": "calling-family",
        ringing: "ringing",
        answered: "in-call",
        missed: "idle",
        ended: "idle",
      } as const
    )[status.state];
  }

  /**
   * A call that was answered can end after the next one began ringing (its stream stops when the grace period
   * runs out): its "ended" is news about that call, and must not silence the one ringing now.
   */
  #isAboutAnEarlierCall(status: CallStatus): boolean {
    const startsACall = status.state === "ringing" || status.state === "calling-family";
    return !startsACall && this.#state !== "idle" && status.callId !== this.#callId;
  }

  /** Says it to the elder, in the words a real camera's voice prompt would use. */
  onNotice(notice: ElderNotice): void {
    this.#notices.push({ at: new Date().toISOString(), said: elderNoticeWords(notice) });
    if (this.#notices.length > 50) this.#notices.shift();
  }

  /** Declines a ringing call home; false when nothing rings. */
  decline(): boolean {
    if (this.#state !== "ringing") return false;
    this.#state = "idle";
    this.#declined += 1;
    return true;
  }

  /** Power, reboot: whatever was ringing is silent now. */
  reset(): void {
    this.#state = "idle";
  }

  snapshot(): CallPanelSnapshot {
    return {
      state: this.#state,
      callId: this.#callId,
      answeredBy: this.#answeredBy,
      buttonPresses: this.#presses,
      pressesWhileOffline: this.#offlinePresses,
      declined: this.#declined,
      log: this.#log.map((entry) => ({ ...entry })),
      notices: this.#notices.map((entry) => ({ ...entry })),
    };
  }
}

/** The camera's voice prompt for a notice (what the elder hears; shown on the camera's screen too). */
export function elderNoticeWords(notice: ElderNotice): string {
  if (notice.kind === "privacy-request") return `${notice.by}想看看家里。同意的话，请按一下隐私键。`;
  return notice.afterS
    ? `${notice.by}打开了自动接听：家人打来的电话响${notice.afterS}秒后会自动接通。`
    : `${notice.by}关掉了自动接听：家人打来的电话要您按键才接通。`;
}
