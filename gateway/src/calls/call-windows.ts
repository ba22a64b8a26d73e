// Call windows: hours, in the household's own time zone, during which looking in needs a call. Outside them,
// or with a call (the elder's, answered by the family, or one home the elder answered), viewing works as
// always. assertMayStartView is the one check; every way a view starts (the grant route and the relay's WHEP
// join, whose viewer token may have been granted before the window began) goes through it.
import { DomainError } from "../../../protocol/errors.ts";
import type { Database } from "../../../core/database.ts";
import { sqlDate, type SqlReader } from "../../../core/sql-reader.ts";
import type { CallWindowView } from "../../../protocol/calls.ts";
import type { ViewStart } from "../live-view/live-view-service.ts";
import type { GatewayMetrics } from "../metrics.ts";

export type WindowRow = {
  callWindowStartMin: number | null;
  callWindowEndMin: number | null;
  timeZone: string;
  callWindowSetBy: string | null;
  callWindowSetAt: Date | null;
};

const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
const clock = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

/** Minutes after local midnight in the zone (hourCycle h23: midnight is 0, not 24). */
export function minuteOfDay(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part("hour") * 60 + part("minute");
}

/** Within [start, end); an end at or before the start runs past midnight (22:00–07:00). */
export function withinWindow(startMin: number, endMin: number, minute: number): boolean {
  return startMin < endMin ? minute >= startMin && minute < endMin : minute >= startMin || minute < endMin;
}

export function windowActive(row: WindowRow, at: Date): boolean {
  if (row.callWindowStartMin === null || row.callWindowEndMin === null) return false;
  return withinWindow(row.callWindowStartMin, row.callWindowEndMin, minuteOfDay(at, row.timeZone));
}

export function toCallWindowView(row: WindowRow, at: Date): CallWindowView {
  const set = row.callWindowStartMin !== null && row.callWindowEndMin !== null;
  return {
    window: set ? { start: clock(row.callWindowStartMin!), end: clock(row.callWindowEndMin!) } : null,
    timeZone: row.timeZone,
    setBy: row.callWindowSetBy,
    setAt: row.callWindowSetAt?.toISOString() ?? null,
    activeNow: windowActive(row, at),
  };
}

/** The columns a PUT writes: the hours (or none), the zone, and who set them when. */
export function callWindowData(
  body: { window: { start: string; end: string } | null; timeZone: string },
  setBy: string,
  at: Date,
) {
  return {
    callWindowStartMin: body.window ? minutes(body.window.start) : null,
    callWindowEndMin: body.window ? minutes(body.window.end) : null,
    timeZone: body.timeZone,
    callWindowSetBy: setBy,
    callWindowSetAt: at,
  };
}

const windowSql = `SELECT "callWindowStartMin", "callWindowEndMin", "timeZone", "callWindowSetBy", "callWindowSetAt"
  FROM "Household" WHERE "id" = ?`;

/**
 * A household's window, on the database driver (core/sql-reader.ts): this runs for every still a family member
 * looks at. null: no such household.
 */
export async function readCallWindow(reads: SqlReader, householdId: string): Promise<WindowRow | null> {
  const [row] = await reads.all<WindowRow & { callWindowSetAt: unknown }>(windowSql, [householdId]);
  return row ? { ...row, callWindowSetAt: sqlDate(row.callWindowSetAt) } : null;
}

/** The same read through Prisma: the reference the driver's row is tested against. */
export function prismaCallWindow(db: Database, householdId: string): Promise<WindowRow | null> {
  return db.household.findUnique({
    where: { id: householdId },
    select: {
      callWindowStartMin: true,
      callWindowEndMin: true,
      timeZone: true,
      callWindowSetBy: true,
      callWindowSetAt: true,
    },
  });
}

export class CallWindowGate {
  constructor(
    private readonly reads: SqlReader,
    private readonly metrics: GatewayMetrics,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Throws 403 call-window when the household's window is on now and the view is not part of a call. */
  async assertMayStartView(householdId: string, startedBy: ViewStart): Promise<void> {
    if (startedBy !== "look-in") return;
    const row = await readCallWindow(this.reads, householdId);
    if (!row || !windowActive(row, this.now())) return;
    this.metrics.callRefusals.inc({ reason: "call-window" });
    const view = toCallWindowView(row, this.now());
    throw new DomainError("call-window", { details: { window: view.window, timeZone: view.timeZone } });
  }
}
