// Decides, per viewer, whether the viewer's downlink can carry video, from what the viewer itself reports:
// the fraction of our video packets it lost (RTCP receiver reports, RFC 3550 §6.4.2) and their
// interarrival jitter. A phone on a weak 4G cell that cannot take the camera's one video layer would
// otherwise show a frozen picture and lose the sound with it; with video paused the sound (~30 kbit/s)
// still fits. After a back-off the video is tried again, starting with a keyframe; a failed try doubles
// the back-off (as TCP does after a timeout), a good stretch resets it.

export interface DownlinkPolicy {
  /** Mean fraction lost over `windowMs` at or above which video is paused. */
  pauseAtLoss: number;
  /** Interarrival jitter (ms) at or above which video is paused: a queue that only grows. */
  pauseAtJitterMs: number;
  windowMs: number;
  /** Reports needed in the window before deciding (one report can be a burst). */
  minReports: number;
  /** First back-off before video is tried again, and the longest one. */
  probeAfterMs: number;
  maxProbeAfterMs: number;
  /** Video that stays healthy this long after a try resets the back-off. */
  stableMs: number;
}

export const defaultDownlinkPolicy: DownlinkPolicy = {
  pauseAtLoss: 0.2,
  pauseAtJitterMs: 400,
  windowMs: 3000,
  minReports: 2,
  probeAfterMs: 4000,
  maxProbeAfterMs: 30_000,
  stableMs: 20_000,
};

export type DownlinkState = "video" | "audio-only";

export interface DownlinkChange {
  state: DownlinkState;
  /** e.g. "loss 0.43" or "probe" */
  reason: string;
}

export class DownlinkMonitor {
  private reports: { at: number; lost: number; jitterMs: number }[] = [];
  private state: DownlinkState = "video";
  private backoffMs: number;
  private resumedAt = Number.NEGATIVE_INFINITY;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  pauses = 0;
  probes = 0;

  constructor(
    private readonly onChange: (change: DownlinkChange) => void,
    private readonly policy: DownlinkPolicy = defaultDownlinkPolicy,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.backoffMs = policy.probeAfterMs;
  }

  get current(): DownlinkState {
    return this.state;
  }

  /** One receiver-report block about our video stream: fraction lost (0..1) and jitter in ms. */
  report(fractionLost: number, jitterMs: number): void {
    if (this.closed || this.state !== "video") return;
    const at = this.now();
    this.reports.push({ at, lost: fractionLost, jitterMs });
    this.reports = this.reports.filter((r) => r.at > at - this.policy.windowMs);
    if (at - this.resumedAt > this.policy.stableMs) this.backoffMs = this.policy.probeAfterMs;
    if (this.reports.length < this.policy.minReports) return;
    const meanLoss = this.reports.reduce((sum, r) => sum + r.lost, 0) / this.reports.length;
    // Sustained, not one burst: several reports must show real loss, not one report a lot of it.
    const lossyReports = this.reports.filter((r) => r.lost >= this.policy.pauseAtLoss / 2).length;
    const jitter = Math.min(...this.reports.map((r) => r.jitterMs));
    if (meanLoss >= this.policy.pauseAtLoss && lossyReports >= this.policy.minReports)
      this.pause(`loss ${meanLoss.toFixed(2)}`);
    else if (jitter >= this.policy.pauseAtJitterMs) this.pause(`jitter ${jitter.toFixed(0)} ms`);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.probeTimer);
  }

  private pause(reason: string): void {
    this.state = "audio-only";
    this.pauses++;
    this.reports = [];
    // A try that failed soon after resuming means the path is still bad: wait longer next time.
    if (this.now() - this.resumedAt < this.policy.stableMs)
      this.backoffMs = Math.min(this.backoffMs * 2, this.policy.maxProbeAfterMs);
    const wait = this.backoffMs;
    // ±20 % jitter so that the viewers of one crowded cell do not all probe at the same instant.
    this.probeTimer = setTimeout(() => this.probe(), wait * (0.8 + Math.random() * 0.4));
    this.probeTimer.unref?.();
    this.onChange({ state: "audio-only", reason });
  }

  private probe(): void {
    if (this.closed) return;
    this.state = "video";
    this.probes++;
    this.resumedAt = this.now();
    this.reports = [];
    this.onChange({ state: "video", reason: "probe" });
  }
}
