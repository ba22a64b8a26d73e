// Talk-back: every viewer's microphone is a Producer, the camera's speaker one Consumer. One family member
// speaks at a time: the first to send audio holds the floor until they have been silent for `releaseMs`.
// The viewer page stops sending RTP entirely when the talk button is released, so silence is real.
import type { Consumer } from "./consumer.ts";
import type { Producer, RtpSink } from "./producer.ts";

export class TalkbackFloor implements RtpSink {
  private holder: Producer | null = null;
  private lastHeardAt = 0;
  private releaseTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly speaker: () => Consumer | null,
    private readonly onChange: (holder: Producer | null) => void,
    private readonly releaseMs = 400,
  ) {}

  addMicrophone(microphone: Producer): void {
    microphone.addSink(this);
  }

  removeMicrophone(microphone: Producer): void {
    microphone.removeSink(this);
    if (this.holder === microphone) this.release();
  }

  get current(): Producer | null {
    return this.holder;
  }

  deliver(packet: Buffer, from: Producer): void {
    const now = performance.now();
    if (from !== this.holder) {
      if (this.holder && now - this.lastHeardAt < this.releaseMs) return;
      this.holder = from;
      const speaker = this.speaker();
      speaker?.attach(from);
      // attach() subscribed the speaker for the packets after this one; hand it this one too.
      speaker?.deliver(packet, from);
      this.onChange(from);
    }
    this.lastHeardAt = now;
    clearTimeout(this.releaseTimer);
    this.releaseTimer = setTimeout(() => this.release(), this.releaseMs);
  }

  /** Re-attaches the current holder to a speaker that connected (or reconnected) mid-talk. */
  speakerChanged(): void {
    if (this.holder) this.speaker()?.attach(this.holder);
  }

  close(): void {
    clearTimeout(this.releaseTimer);
    this.holder = null;
  }

  private release(): void {
    clearTimeout(this.releaseTimer);
    if (!this.holder) return;
    this.holder = null;
    this.speaker()?.detach();
    this.onChange(null);
  }
}
