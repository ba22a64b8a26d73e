// Label sheets carry the claim codes of the boxes they label: kept for reprinting a jammed sheet, then emptied
// after LABEL_RETENTION_DAYS. The sweep runs when the gateway starts and hourly after that.
import type { Database } from "../../../core/database.ts";

const SWEEP_EVERY_MS = 3600_000;

export class LabelSheetRetention {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly keepMs: number,
    private readonly log: { error(o: object, msg: string): void; info(o: object, msg: string): void },
  ) {}

  /** Sweeps once before resolving, then hourly. */
  async start(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Empties every sheet printed before the retention period; returns how many. Never throws. */
  async sweep(now = new Date()): Promise<number> {
    try {
      const { count } = await this.db.deviceBatchUpload.updateMany({
        where: { labelsPurgedAt: null, createdAt: { lt: new Date(now.getTime() - this.keepMs) } },
        data: { labelsPdf: new Uint8Array(0), labelsPurgedAt: now },
      });
      if (count) this.log.info({ sheets: count }, "label sheets past their retention emptied");
      return count;
    } catch (error) {
      this.log.error({ err: error }, "label-sheet sweep failed");
      return 0;
    }
  }
}
