// Each gateway process records its run (start, last sign of life, stop). The gaps between runs are the
// times nobody watched the fleet: a camera's uptime counts them as unknown (uptime.ts), and the API shows them.
import type { Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import type { Interval } from "./uptime.ts";

/** How often a running gateway refreshes its run, so a crash still ends the run within this much. */
const ALIVE_EVERY_MS = 10_000;

export class GatewayRuns {
  private readonly id = randomId("run_");
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly log: { warn(o: object, msg: string): void },
    private readonly aliveEveryMs = ALIVE_EVERY_MS,
  ) {}

  async begin(now = new Date()): Promise<void> {
    await this.db.gatewayRun.create({ data: { id: this.id, startedAt: now, lastAliveAt: now } });
    this.timer = setInterval(() => {
      this.db.gatewayRun
        .update({ where: { id: this.id }, data: { lastAliveAt: new Date() } })
        .catch((err: Error) => this.log.warn({ err: err.message }, "could not record that the gateway is alive"));
    }, this.aliveEveryMs);
    this.timer.unref();
  }

  async end(now = new Date()): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.db.gatewayRun.update({ where: { id: this.id }, data: { lastAliveAt: now, stoppedAt: now } });
  }
}

/** The gaps between gateway runs that overlap [from, to], clipped to it. No runs recorded: nothing is known to be missing. */
export async function gatewayDowntime(db: Database, from: Date, to: Date): Promise<Interval[]> {
  const earlier = await db.gatewayRun.findFirst({ where: { startedAt: { lt: from } }, orderBy: { startedAt: "desc" } });
  const within = await db.gatewayRun.findMany({
    where: { startedAt: { gte: from, lte: to } },
    orderBy: { startedAt: "asc" },
  });
  return downtimeBetweenRuns(earlier ? [earlier, ...within] : within, from, to);
}

export type GatewayRunSpan = { startedAt: Date; lastAliveAt: Date; stoppedAt: Date | null };

/** The gaps between runs (the last one that began before `from`, then those within, by start), clipped to [from, to]. */
export function downtimeBetweenRuns(runs: GatewayRunSpan[], from: Date, to: Date): Interval[] {
  const gaps: Interval[] = [];
  let coveredUntil: number | null = null;
  for (const run of runs) {
    if (coveredUntil !== null && run.startedAt.getTime() > coveredUntil) {
      const gapFrom = Math.max(coveredUntil, from.getTime());
      const gapTo = Math.min(run.startedAt.getTime(), to.getTime());
      if (gapTo > gapFrom) gaps.push({ from: new Date(gapFrom), to: new Date(gapTo) });
    }
    const end = (run.stoppedAt ?? run.lastAliveAt).getTime();
    coveredUntil = Math.max(coveredUntil ?? end, end);
  }
  return gaps;
}
