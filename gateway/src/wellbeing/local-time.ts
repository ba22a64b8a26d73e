// A household's local calendar: its date and minute of the day at an instant, and the instant of a local minute.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalMoment {
  /** YYYY-MM-DD */
  date: string;
  /** Minutes after local midnight, 0–1439. */
  minute: number;
}

export function localMoment(at: Date, timeZone: string): LocalMoment {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** The zone's offset from UTC at an instant, in ms (whole minutes). */
function offsetMs(at: number, timeZone: string): number {
  const { date, minute } = localMoment(new Date(at), timeZone);
  const asUtc = Date.parse(`${date}T00:00:00Z`) + minute * 60_000;
  return asUtc - Math.floor(at / 60_000) * 60_000;
}

/** The instant of a local date and minute (DST: the offset at that instant, checked once more). */
export function instantOf(date: string, minute: number, timeZone: string): Date {
  const naive = Date.parse(`${date}T00:00:00Z`) + minute * 60_000;
  let guess = naive - offsetMs(naive, timeZone);
  guess = naive - offsetMs(guess, timeZone);
  return new Date(guess);
}

/** The local date `days` before (negative: after) the given one. */
export function shiftDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

export const clockText = (minute: number) =>
  `${String(Math.floor(minute / 60) % 24).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
