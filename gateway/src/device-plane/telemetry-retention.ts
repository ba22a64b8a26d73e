// Heartbeat history is kept for a bounded time: hourly, older samples are deleted.
import type { Database } from "../../../core/database.ts";

const PRUNE_EVERY_MS = 3600_000;

export class TelemetryRetention {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly keepMs: number,
    private readonly log: { error(o: object, msg: string): void },
  ) {}

  start(): void {
    void this.prune();
    this.timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async prune(now = new Date()): Promise<number> {
    try {
      const { count } = await this.db.telemetrySample.deleteMany({
        where: { at: { lt: new Date(now.getTime() - this.keepMs) } },
      });
      return count;
    } catch (error) {
      this.log.error({ err: error }, "telemetry pruning failed");
      return 0;
    }
  }
}
