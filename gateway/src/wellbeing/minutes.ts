// Movement per minute as text, one character a minute: "." not reported, "0" still, "1"–"9" movement.
// A camera hour is 60 characters (ActivityHour.minutes); a household's day is 1,440, all its cameras merged.
export const NOT_REPORTED = ".";
export const MINUTES_PER_HOUR = 60;
const HOUR_MS = 3_600_000;

/**
 * A camera's 0–100 (share of frames with movement) as one digit. Below 5 the minute counts as still: a
 * curtain, a shadow or the television's flicker, not a person.
 */
export function quantizeLevel(level: number): string {
  if (level < 5) return "0";
  return String(Math.min(9, Math.ceil(level / 11)));
}

export const isMoving = (c: string | undefined) => c !== undefined && c >= "1" && c <= "9";
export const isReported = (c: string | undefined) => c !== undefined && c !== NOT_REPORTED;

/** The stronger of two minutes: any report beats none, more movement beats less. */
function stronger(a: string, b: string): string {
  if (a === NOT_REPORTED) return b;
  if (b === NOT_REPORTED) return a;
  return a > b ? a : b;
}

export function mergeSeries(a: string, b: string): string {
  let out = "";
  for (let i = 0; i < a.length; i++) out += stronger(a[i]!, b[i] ?? NOT_REPORTED);
  return out;
}

export const emptyHour = () => NOT_REPORTED.repeat(MINUTES_PER_HOUR);

export const hourStart = (at: Date) => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);

/** A report split into the camera hours it touches, each as (hour, minute offset, digits). */
export function splitByHour(from: Date, digits: string): { hour: Date; offset: number; digits: string }[] {
  const parts: { hour: Date; offset: number; digits: string }[] = [];
  let at = from.getTime();
  let rest = digits;
  while (rest.length > 0) {
    const hour = hourStart(new Date(at));
    const offset = Math.round((at - hour.getTime()) / 60_000);
    const take = Math.min(rest.length, MINUTES_PER_HOUR - offset);
    parts.push({ hour, offset, digits: rest.slice(0, take) });
    rest = rest.slice(take);
    at += take * 60_000;
  }
  return parts;
}

/** Writes digits into a stored hour at an offset, keeping the stronger minute where both exist (a resend). */
export function writeIntoHour(stored: string, offset: number, digits: string): string {
  const before = stored.slice(0, offset);
  const overlap = mergeSeries(stored.slice(offset, offset + digits.length), digits);
  return before + overlap + stored.slice(offset + digits.length);
}

/**
 * The minutes from `start` for `length` minutes, merged over every camera's stored hours. Hours not stored
 * read as not reported.
 */
export function seriesFrom(rows: { hour: Date; minutes: string }[], start: Date, length: number): string {
  const chars = new Array<string>(length).fill(NOT_REPORTED);
  const startMs = start.getTime();
  for (const row of rows) {
    const first = Math.round((row.hour.getTime() - startMs) / 60_000);
    for (let i = 0; i < row.minutes.length; i++) {
      const index = first + i;
      if (index < 0 || index >= length) continue;
      chars[index] = stronger(chars[index]!, row.minutes[i]!);
    }
  }
  return chars.join("");
}
