// False alarms of the wellbeing check-ins: N simulated households (firmware-sim/src/routine.ts, each with its own
// habits: rising 5:00–7:30, naps, outings, now and then a long day in the fields or a lie-in) live ordinary
// days: nobody falls, nobody is ill. Two weeks to learn, then every question asked is a false alarm.
//
//   npm run bench:wellbeing -- [--households 100] [--days 30] [--report-min 30] [--engine model|service|compare]
//
// --engine service plays the days through WellbeingService and a fresh SQLite database, the leader's pass after
// every report (about 20 s per household-week here: database round trips on 2 shared cores). --engine model
// (the default) applies the functions the service decides with (dueCheck, learnRhythm, summarizeDay in
// gateway/src/wellbeing/) in memory, with the service's rules around them: one open question per household,
// closed by movement since its quiet began, each key asked once. --engine compare runs both on the same days
// and fails if they disagree. Prints a table and writes bench/results/wellbeing-<date>.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { householdRoutine, seededRandom, simulateDay } from "../firmware-sim/src/routine.ts";
import { dueCheck, movedSince, type CheckSettings } from "../gateway/src/wellbeing/checks.ts";
import { quantizeLevel } from "../gateway/src/wellbeing/minutes.ts";
import { DAY_OPEN_MIN, learnRhythm, summarizeDay, type DaySummary } from "../gateway/src/wellbeing/rhythm.ts";
import { WellbeingNotifier } from "../gateway/src/wellbeing/wellbeing-notify.ts";
import { WellbeingService } from "../gateway/src/wellbeing/wellbeing-service.ts";
import { createHousehold, dayAfter, playDay, TestClock, type SimHousehold } from "../test/helpers/wellbeing-days.ts";
import { openBenchDatabase } from "./bench-database.ts";

const { values } = parseArgs({
  options: {
    households: { type: "string", default: "100" },
    days: { type: "string", default: "30" },
    "report-min": { type: "string", default: "30" },
    engine: { type: "string", default: "model" },
  },
});
const HOUSEHOLDS = Number(values.households);
const DAYS = Number(values.days);
const REPORT_MIN = Number(values["report-min"]);
const LEARNING_DAYS = 14;
const FIRST_DAY = "2026-10-01";
const DEFAULTS: CheckSettings = { enabled: true, startMarginMin: 120, quietHours: 4, awayUntil: null };

interface Asked {
  household: number;
  kind: string;
  key: string;
  answeredByMovementWithin30Min: boolean;
}

/** Each household's days, the same for both engines: levels per minute for every day of the run. */
function householdDays(): number[][][] {
  return Array.from({ length: HOUSEHOLDS }, (_, i) => {
    const random = seededRandom(1000 + i);
    const routine = householdRoutine(random);
    return Array.from({ length: LEARNING_DAYS + DAYS }, () => simulateDay(routine, random));
  });
}

function runModel(all: number[][][], settings = DEFAULTS): Asked[] {
  const asked: Asked[] = [];
  all.forEach((days, household) => {
    const history: DaySummary[] = [];
    let open: { quietFrom: number; raisedAt: number; entry: Asked } | null = null;
    const keys = new Set<string>();
    days.forEach((levels, d) => {
      const digits = levels.map(quantizeLevel).join("");
      const date = dayAfter(FIRST_DAY, d);
      const rhythm = learnRhythm(history.slice(-LEARNING_DAYS));
      open = null; // the service's questions are about today; yesterday's is closed by today's first movement
      for (let now = REPORT_MIN; now <= 1440 && d >= LEARNING_DAYS; now += REPORT_MIN) {
        const today = digits.slice(0, now);
        if (open && movedSince(today, open.quietFrom)) {
          open.entry.answeredByMovementWithin30Min = now - open.raisedAt <= 30;
          open = null;
        }
        if (open) continue;
        const due = dueCheck({ now: new Date(0), nowMin: now, today, rhythm, settings }, date);
        if (!due || keys.has(due.key)) continue;
        keys.add(due.key);
        const entry = { household, kind: due.kind, key: due.key, answeredByMovementWithin30Min: false };
        asked.push(entry);
        open = { quietFrom: due.lastActiveMin === null ? DAY_OPEN_MIN : due.lastActiveMin + 1, raisedAt: now, entry };
      }
      history.push(summarizeDay(date, digits, false));
    });
  });
  return asked;
}

async function runService(all: number[][][]): Promise<Asked[]> {
  const database = await openBenchDatabase("sqlite");
  const { db } = database;
  await db.$queryRawUnsafe("PRAGMA journal_mode=WAL");
  await db.$queryRawUnsafe("PRAGMA synchronous=OFF"); // the answers, not the disk, are measured here
  const clock = new TestClock();
  const service = new WellbeingService({
    db,
    clock: clock.now,
    notifier: new WellbeingNotifier([], console),
    log: { warn: (o, m) => console.warn(m, o), error: (o, m) => console.error(m, o) },
    policy: { escalateAfterMs: 30 * 60_000, checkEveryMs: 60_000, retentionMs: 15 * 86_400_000 },
  });
  const homes: SimHousehold[] = [];
  for (let i = 0; i < HOUSEHOLDS; i++)
    homes.push(await createHousehold(db, { village: `村${i % 10}`, elderName: `老人${i}` }));
  for (let d = 0; d < LEARNING_DAYS + DAYS; d++) {
    const playing = homes.map((household, i) => ({ household, levels: all[i]![d]! }));
    await playDay(service, clock, dayAfter(FIRST_DAY, d), playing, {
      reportEveryMin: REPORT_MIN,
      evaluate: d >= LEARNING_DAYS,
    });
  }
  const checks = await db.wellbeingCheck.findMany({ orderBy: { raisedAt: "asc" } });
  await database.drop();
  return checks.map((c) => ({
    household: homes.findIndex((h) => h.householdId === c.householdId),
    kind: c.kind,
    key: c.key,
    answeredByMovementWithin30Min:
      c.closedReason === "activity-seen" && c.closedAt!.getTime() - c.raisedAt.getTime() <= 30 * 60_000,
  }));
}

function report(engine: string, asked: Asked[], elapsedS: number) {
  const householdDays = HOUSEHOLDS * DAYS;
  const result = {
    engine,
    households: HOUSEHOLDS,
    days: DAYS,
    reportEveryMin: REPORT_MIN,
    margins: "defaults: usual start + 2 h, 4 daytime hours",
    asked: asked.length,
    dayNotStarted: asked.filter((a) => a.kind === "day-not-started").length,
    quietDaytime: asked.filter((a) => a.kind === "quiet-daytime").length,
    perHouseholdMonth: (asked.length / householdDays) * 30,
    perHouseholdDay: asked.length / householdDays,
    householdsAskedAtLeastOnce: new Set(asked.map((a) => a.household)).size,
    answeredByMovementWithin30Min: asked.filter((a) => a.answeredByMovementWithin30Min).length,
    elapsedS,
  };
  console.table({
    engine,
    "households × days": `${HOUSEHOLDS} × ${DAYS} (after ${LEARNING_DAYS} days of learning)`,
    "questions asked (all false alarms)": `${result.asked} (day not started ${result.dayNotStarted}, quiet daytime ${result.quietDaytime})`,
    "per household per month": result.perHouseholdMonth.toFixed(2),
    "per household-day": `${(result.perHouseholdDay * 100).toFixed(2)} %`,
    "households asked at least once": `${result.householdsAskedAtLeastOnce} of ${HOUSEHOLDS}`,
    "answered by movement within 30 min (before any village contact)": result.answeredByMovementWithin30Min,
    "run time": `${elapsedS.toFixed(1)} s`,
  });
  return result;
}

/** The same month with other margins a household could choose: questions per household per month. */
function marginSweep() {
  const rows: Record<string, string> = {};
  for (const startMarginMin of [60, 120, 180])
    for (const quietHours of [3, 4, 5, 6]) {
      const asked = runModel(all, { ...DEFAULTS, startMarginMin, quietHours });
      const perMonth = (n: number) => ((n / (HOUSEHOLDS * DAYS)) * 30).toFixed(2);
      const late = asked.filter((a) => a.kind === "day-not-started").length;
      rows[`+${startMarginMin / 60} h, ${quietHours} h quiet`] =
        `${perMonth(asked.length)} (morning ${perMonth(late)}, daytime ${perMonth(asked.length - late)})`;
    }
  console.table(rows);
  return rows;
}

const all = householdDays();
const results = [];
const sameKeys = (a: Asked[]) => a.map((x) => `${x.household}/${x.kind}/${x.key}`).sort();
let model: Asked[] | null = null;
let service: Asked[] | null = null;
if (values.engine !== "service") {
  const started = performance.now();
  model = runModel(all);
  results.push(report("model", model, (performance.now() - started) / 1000));
  results.push({ otherMargins: marginSweep() });
}
if (values.engine !== "model") {
  const started = performance.now();
  service = await runService(all);
  results.push(report("service", service, (performance.now() - started) / 1000));
}
if (model && service && JSON.stringify(sameKeys(model)) !== JSON.stringify(sameKeys(service))) {
  console.error("model and service disagree", { model: sameKeys(model), service: sameKeys(service) });
  process.exitCode = 1;
}
mkdirSync("bench/results", { recursive: true });
writeFileSync(
  `bench/results/wellbeing-${new Date().toISOString().slice(0, 10)}.json`,
  JSON.stringify(results, null, 2),
);
