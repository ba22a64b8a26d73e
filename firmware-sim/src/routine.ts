// An elder's day as a camera in the main room sees it: minute by minute, the share of frames with movement
// (0–100). Each household has its own habits (when they rise and go to bed, whether they nap, how often they
// are out in the fields or at the market), and each day varies around them: a late morning now and then, an
// outing of a few hours, someone in another room for a while. Seeded, so a test or bench can replay a month.

/** Small, fast, seeded PRNG (mulberry32): the same seed gives the same days. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function normal(random: () => number, mean: number, sd: number): number {
  const u = Math.max(random(), 1e-9);
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export interface Routine {
  /** Usual first movement in the room, minutes after local midnight. */
  wakeMin: number;
  bedMin: number;
  /** How much a day's wake-up varies (sd, minutes). */
  wakeSdMin: number;
  napsAfterLunch: boolean;
  /** Chance of an outing (fields, market, neighbours) on a given day, and of a second one. */
  outingChance: number;
  /** Chance that an outing is a long one (4–7 h: a day in the fields, a trip to town). */
  longOutingChance: number;
  /** Chance a minute at home and awake shows movement in this room. */
  presence: number;
}

/** A household's habits, drawn from its seed: rising between about 5:00 and 7:30, in bed by 20:00–22:30. */
export function householdRoutine(random: () => number): Routine {
  return {
    wakeMin: Math.round(300 + random() * 150),
    bedMin: Math.round(1200 + random() * 150),
    wakeSdMin: 10 + random() * 20,
    napsAfterLunch: random() < 0.6,
    outingChance: 0.2 + random() * 0.4,
    longOutingChance: 0.08,
    presence: 0.35 + random() * 0.35,
  };
}

export interface DayOptions {
  /** Nobody home all day (visiting relatives, in hospital). */
  away?: boolean;
  /** The elder does not get up: no movement at all (the case the morning check exists for). */
  noMovement?: boolean;
  /** From this minute on, no movement (a fall during the day). */
  stillFromMin?: number;
  /** Rise this many minutes later than usual (a changed routine). */
  wakeShiftMin?: number;
}

type Span = [from: number, to: number];

function outings(random: () => number, routine: Routine, wake: number, bed: number): Span[] {
  const spans: Span[] = [];
  for (let i = 0; i < 2; i++) {
    if (random() >= (i === 0 ? routine.outingChance : routine.outingChance / 3)) continue;
    // Mostly one to three hours; now and then a long day in the fields or in town.
    const length = random() < routine.longOutingChance ? 240 + random() * 180 : 45 + random() * 135;
    const from = wake + 60 + random() * Math.max(0, bed - wake - 60 - length);
    spans.push([Math.round(from), Math.round(from + length)]);
  }
  return spans;
}

/** Short spells in another room or the yard: a few minutes to half an hour, several a day. */
function elsewhere(random: () => number, wake: number, bed: number): Span[] {
  const spans: Span[] = [];
  for (let at = wake + random() * 60; at < bed; at += 40 + random() * 120) {
    const length = 3 + random() * 27;
    spans.push([Math.round(at), Math.round(at + length)]);
  }
  return spans;
}

const within = (spans: Span[], minute: number) => spans.some(([from, to]) => minute >= from && minute < to);

/** One day's 1,440 minutes of movement levels for this routine. */
export function simulateDay(routine: Routine, random: () => number, options: DayOptions = {}): number[] {
  const levels = new Array<number>(1440).fill(0);
  const lieIn = random() < 0.04 ? 45 + random() * 75 : 0; // a holiday, a cold, a late night before
  const wake = Math.round(normal(random, routine.wakeMin, routine.wakeSdMin) + lieIn + (options.wakeShiftMin ?? 0));
  const bed = Math.round(normal(random, routine.bedMin, 25));
  const away = outings(random, routine, wake, bed);
  const otherRoom = elsewhere(random, wake, bed);
  const napFrom = 750 + random() * 30;
  const nap: Span = routine.napsAfterLunch ? [napFrom, napFrom + 40 + random() * 50] : [0, 0];
  for (let minute = 0; minute < 1440; minute++) {
    const night = minute < wake || minute >= bed;
    // A rare getting-up in the night; otherwise nothing moves while asleep, out, or in another room.
    if (night) levels[minute] = random() < 0.004 ? 10 + Math.round(random() * 20) : Math.round(random() * 2);
    else if (within(away, minute) || within(otherRoom, minute) || within([nap], minute))
      levels[minute] = Math.round(random() * 3);
    else levels[minute] = random() < routine.presence ? 6 + Math.round(random() * 60) : Math.round(random() * 3);
  }
  if (options.away || options.noMovement) return levels.map(() => Math.round(random() * 3));
  if (options.stillFromMin !== undefined)
    for (let minute = options.stillFromMin; minute < 1440; minute++) levels[minute] = Math.round(random() * 3);
  return levels;
}
