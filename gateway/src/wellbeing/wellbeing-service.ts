// Wellbeing check-ins: stores the movement cameras report, learns each household's usual day, asks the family
// when a day is unusually quiet, and the village contact when the family does not answer in time. Time comes
// from the clock it is given (tests run weeks in seconds); the periodic pass runs on the ingest leader.
import type { Database } from "../../../core/database.ts";
import { eachUntilStopped } from "../../../core/lifecycle.ts";
import { randomId } from "../../../core/secrets.ts";
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
import type { ActivityReportMessage, WellbeingAnswer, WellbeingCheckView } from "../../../protocol/wellbeing.ts";
import type { DeviceCommand } from "../../../protocol/device-messages.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import { ActivityStore } from "./activity-store.ts";
import {
  ACTIVE_STATES,
  activeCheckOf,
  checkInclude,
  contactVillagesOf,
  familyOf,
  loadCheck,
  toCheckView,
  villageContactsOf,
  type CheckRow,
} from "./check-records.ts";
import { dueCheck, isAway, type CheckSettings, type DueCheck } from "./checks.ts";
import { instantOf, localMoment, shiftDate } from "./local-time.ts";
import { isMoving, quantizeLevel } from "./minutes.ts";
import {
  DAY_OPEN_MIN,
  DEFAULT_RHYTHM,
  LEARNING_DAYS,
  hourlyFromText,
  learnRhythm,
  summarizeDay,
  type Rhythm,
} from "./rhythm.ts";
import { closedText, escalationText, checkText } from "./wellbeing-text.ts";
import type { WellbeingNotifier } from "./wellbeing-notify.ts";

interface Logger {
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface WellbeingPolicy {
  /** A check nobody in the family answers within this goes to the village contact. */
  escalateAfterMs: number;
  checkEveryMs: number;
  /** Minute rows are kept this long (the learning needs the last 14 days summed). */
  retentionMs: number;
}

export interface WellbeingServiceOptions {
  db: Database;
  notifier: WellbeingNotifier;
  /** Tells a camera the household's consent to movement levels in privacy mode (activity-settings). */
  sendCommand?: (deviceId: string, command: DeviceCommand, requestedBy: string) => Promise<unknown>;
  log: Logger;
  policy: WellbeingPolicy;
  clock?: () => Date;
}

/** Reports about minutes further back than this, or from the future, are refused (a camera with a wrong clock). */
const OLDEST_REPORT_MS = 26 * 3_600_000;
const NEWEST_REPORT_MS = 5 * 60_000;
/** Households whose usual day is learned again per pass: a new day's learning spreads over the early hours. */
const LEARN_PER_PASS = 200;

export type IngestOutcome = "stored" | "unbound" | "private" | "out-of-range";
export type ProfileRow = NonNullable<Awaited<ReturnType<Database["wellbeingProfile"]["findUnique"]>>>;
type ProfileWithHome = ProfileRow & { household: { timeZone: string } };

export class WellbeingService {
  readonly store: ActivityStore;
  readonly #o: WellbeingServiceOptions;
  readonly #clock: () => Date;
  #timer: NodeJS.Timeout | null = null;
  #pruneTimer: NodeJS.Timeout | null = null;
  #pass: Promise<void> = Promise.resolve();
  /**
   * Aborted by stop(): a pass under way ends between two households (or checks) and the next pass does the rest.
   * On the first pass of a day, learning 200 households' usual day took 20 s on PostgreSQL.
   */
  #rounds = new AbortController();
  /** The check each household was last asked (or found asked already): not looked up again each pass. */
  readonly #asked = new Map<string, string>();

  constructor(options: WellbeingServiceOptions) {
    this.#o = options;
    this.#clock = options.clock ?? (() => new Date());
    this.store = new ActivityStore(options.db);
  }

  now(): Date {
    return this.#clock();
  }

  // ── ingest ──

  async ingest(deviceId: string, report: ActivityReportMessage): Promise<IngestOutcome> {
    const { db } = this.#o;
    const from = new Date(report.from);
    const now = this.#clock().getTime();
    const end = from.getTime() + report.levels.length * 60_000;
    if (from.getTime() < now - OLDEST_REPORT_MS || end > now + NEWEST_REPORT_MS) return "out-of-range";
    const device = await db.device.findUnique({
      where: { id: deviceId },
      select: { householdId: true, household: { select: { wellbeing: { select: { activityInPrivacy: true } } } } },
    });
    if (!device?.householdId) return "unbound";
    if (report.privacy && !device.household?.wellbeing?.activityInPrivacy) return "private";
    const digits = report.levels.map(quantizeLevel).join("");
    await this.store.write(deviceId, from, digits);
    let lastMoving = digits.length - 1;
    while (lastMoving >= 0 && !isMoving(digits[lastMoving])) lastMoving--;
    await this.#noteReport(device.householdId, new Date(end), lastMoving < 0 ? null : minuteAfter(from, lastMoving));
    return "stored";
  }

  async #noteReport(householdId: string, reportedUntil: Date, movedAt: Date | null): Promise<void> {
    const { db } = this.#o;
    const profile = await db.wellbeingProfile.findUnique({ where: { householdId } });
    const later = (a: Date | null | undefined, b: Date | null) => (!a ? b : !b || a > b ? a : b);
    const data = {
      lastReportAt: later(profile?.lastReportAt, reportedUntil),
      lastActivityAt: later(profile?.lastActivityAt, movedAt),
    };
    await db.wellbeingProfile.upsert({ where: { householdId }, update: data, create: { householdId, ...data } });
  }

  // ── the household's consent, on the cameras ──

  /** The consent changed: every online camera of the household hears it now (the others when they connect). */
  async sendConsent(householdId: string): Promise<void> {
    const devices = await this.#o.db.device.findMany({
      where: { householdId, connection: "online" },
      select: { id: true },
    });
    await Promise.all(devices.map((d) => this.#sendConsentTo(d.id)));
  }

  /** A camera that connects learns the consent, if its household ever set one (a camera boots without it). */
  onCameraOnline(deviceId: string): Promise<void> {
    return this.#sendConsentTo(deviceId, { onlyIfEverSet: true }).catch((err: unknown) =>
      this.#o.log.error({ err, deviceId }, "activity consent not looked up"),
    );
  }

  async #sendConsentTo(deviceId: string, o: { onlyIfEverSet?: boolean } = {}): Promise<void> {
    const device = await this.#o.db.device.findUnique({
      where: { id: deviceId },
      select: { household: { select: { wellbeing: true } } },
    });
    const profile = device?.household?.wellbeing;
    if (!this.#o.sendCommand || (o.onlyIfEverSet && !profile?.activityInPrivacySetAt)) return;
    const command = { name: "activity-settings", params: { inPrivacy: profile?.activityInPrivacy ?? false } } as const;
    await this.#o.sendCommand(deviceId, command, "wellbeing").catch((err: unknown) => {
      this.#o.log.warn({ deviceId, err: (err as Error).message }, "camera not told the activity consent");
    });
  }

  // ── the periodic pass ──

  /** The pass every checkEveryMs, and minute rows past their retention deleted now and hourly. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.evaluate(), this.#o.policy.checkEveryMs);
    this.#pruneTimer = setInterval(() => void this.#pruneLogged(), 3_600_000);
    this.#timer.unref();
    this.#pruneTimer.unref();
    void this.#pruneLogged();
  }

  /** Ends the pass under way between two households (the one in hand finishes) and waits for it. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    this.#timer = null;
    this.#pruneTimer = null;
    this.#rounds.abort();
    this.#rounds = new AbortController();
    await this.#pass;
  }

  #pruneLogged(): Promise<void> {
    this.#pass = this.#pass
      .then(() => this.prune())
      .then(
        () => undefined,
        (err: unknown) => this.#o.log.error({ err }, "wellbeing retention failed"),
      );
    return this.#pass;
  }

  /** One pass at a time; never rejects (a failure is logged and the next pass catches up); stop() ends it early. */
  evaluate(now = this.#clock()): Promise<void> {
    const { signal } = this.#rounds;
    this.#pass = this.#pass
      .then(() => this.#evaluate(now, signal))
      .catch((err: unknown) => this.#o.log.error({ err }, "wellbeing pass failed"));
    return this.#pass;
  }

  async #evaluate(now: Date, signal: AbortSignal): Promise<void> {
    await this.#closeWhereMoved(now, signal);
    if (!signal.aborted) await this.#escalateOverdue(now, signal);
    if (signal.aborted) return;
    const { db } = this.#o;
    const active = await db.wellbeingCheck.findMany({
      where: { state: { in: ACTIVE_STATES } },
      select: { householdId: true },
    });
    const busy = new Set(active.map((c) => c.householdId));
    const profiles = await db.wellbeingProfile.findMany({
      where: { enabled: true, lastReportAt: { not: null } },
      include: { household: { select: { timeZone: true } } },
    });
    let learned = 0;
    await eachUntilStopped(profiles, signal, async (profile) => {
      const { date } = localMoment(now, profile.household.timeZone);
      if (profile.learnedOn !== date && learned < LEARN_PER_PASS) {
        learned++;
        await this.#learn(profile, date);
      }
      if (busy.has(profile.householdId) || isAway(settingsOf(profile), now)) return;
      await this.#askIfDue(profile, now);
    });
  }

  /** Reads the household's minutes only when its profile says a question may be due now. */
  async #askIfDue(profile: ProfileWithHome, now: Date): Promise<void> {
    const timeZone = profile.household.timeZone;
    const { date, minute } = localMoment(now, timeZone);
    const rhythm = rhythmOf(profile);
    const candidate = candidateKey(profile, rhythm, now, date, minute);
    if (!candidate || this.#asked.get(profile.householdId) === candidate) return;
    const midnight = instantOf(date, 0, timeZone);
    const nowMin = Math.floor((now.getTime() - midnight.getTime()) / 60_000);
    const today = await this.store.series(profile.householdId, midnight, nowMin);
    const due = dueCheck({ now, nowMin, today, rhythm, settings: settingsOf(profile) }, date);
    if (due) await this.#raise(profile, due, rhythm, date, now);
  }

  async #raise(profile: ProfileWithHome, due: DueCheck, rhythm: Rhythm, date: string, now: Date): Promise<void> {
    const { db, notifier } = this.#o;
    const timeZone = profile.household.timeZone;
    this.#asked.set(profile.householdId, due.key);
    const household = await db.household.findUniqueOrThrow({
      where: { id: profile.householdId },
      select: { elderName: true },
    });
    const text = checkText({
      kind: due.kind,
      elderName: household.elderName,
      dueMin: due.dueMin,
      lastActiveMin: due.lastActiveMin,
      usualStartMin: rhythm.usualStartMin,
      quietHours: profile.quietHours,
    });
    const quietFrom = due.lastActiveMin === null ? DAY_OPEN_MIN : due.lastActiveMin + 1;
    let row: CheckRow;
    try {
      row = await db.wellbeingCheck.create({
        data: {
          id: randomId("wbc_", 12),
          householdId: profile.householdId,
          kind: due.kind,
          key: due.key,
          state: "open",
          dueAt: instantOf(date, due.dueMin, timeZone),
          raisedAt: now,
          quietSince: instantOf(date, quietFrom, timeZone),
          lastActivityAt: due.lastActiveMin === null ? null : instantOf(date, due.lastActiveMin, timeZone),
          ...text,
        },
        include: checkInclude,
      });
    } catch (error) {
      if ((error as { code?: string }).code === "P2002") return; // asked already (a restart, another pass)
      throw error;
    }
    await notifier.tell(await familyOf(db, row.householdId), { check: toCheckView(row), ...text, urgency: "high" });
  }

  /** Movement since the quiet began answers the question by itself; everyone told hears it. */
  async #closeWhereMoved(now: Date, signal: AbortSignal): Promise<void> {
    const { db } = this.#o;
    const active = await db.wellbeingCheck.findMany({
      where: { state: { in: ACTIVE_STATES } },
      include: { ...checkInclude, household: { select: { ...checkInclude.household.select, wellbeing: true } } },
    });
    await eachUntilStopped(active, signal, async (check) => {
      const movedAt = check.household.wellbeing?.lastActivityAt;
      if (!movedAt || movedAt < check.quietSince) return;
      const atMin = localMoment(movedAt, check.household.timeZone).minute;
      const text = closedText({ elderName: check.household.elderName, reason: "activity-seen", byName: null, atMin });
      await this.#close(check, "activity-seen", now, text);
    });
  }

  async #escalateOverdue(now: Date, signal: AbortSignal): Promise<void> {
    const overdue = await this.#o.db.wellbeingCheck.findMany({
      where: { state: "open", raisedAt: { lte: new Date(now.getTime() - this.#o.policy.escalateAfterMs) } },
      select: { id: true },
    });
    await eachUntilStopped(overdue, signal, ({ id }) => this.#escalate(id, "no-answer", null, now));
  }

  async #escalate(id: string, reason: "no-answer" | "cannot-reach", byName: string | null, now: Date) {
    const { db, notifier } = this.#o;
    const { count } = await db.wellbeingCheck.updateMany({
      where: { id, state: "open" },
      data: { state: "escalated", escalatedAt: now, escalationReason: reason },
    });
    if (count === 0) return; // answered or escalated meanwhile
    const row = (await loadCheck(db, id))!;
    const text = escalationText({
      village: row.household.village,
      elderName: row.household.elderName,
      contactPhone: row.household.contactPhone,
      reason,
      byName,
      waitedMin: Math.round(this.#o.policy.escalateAfterMs / 60_000),
    });
    const view = toCheckView(row);
    await notifier.tell(await villageContactsOf(db, row.household.village), { check: view, ...text, urgency: "high" });
    await notifier.tell(await familyOf(db, row.householdId), { check: view, ...text, urgency: "normal" });
  }

  async #close(
    check: CheckRow,
    reason: "all-well" | "activity-seen",
    now: Date,
    text: { title: string; body: string },
  ): Promise<void> {
    const { db, notifier } = this.#o;
    const { count } = await db.wellbeingCheck.updateMany({
      where: { id: check.id, state: { in: ACTIVE_STATES } },
      data: { state: "closed", closedAt: now, closedReason: reason },
    });
    if (count === 0) return;
    const view = toCheckView((await loadCheck(db, check.id))!);
    const told = await familyOf(db, check.householdId);
    if (check.state === "escalated") told.push(...(await villageContactsOf(db, check.household.village)));
    await notifier.tell([...new Set(told)], { check: view, ...text, urgency: "normal" });
  }

  // ── learning ──

  /** Sums the finished days not summed yet (of the last two weeks), then learns the usual day from them. */
  async #learn(profile: ProfileWithHome, date: string): Promise<Rhythm> {
    const { householdId } = profile;
    const timeZone = profile.household.timeZone;
    const first = shiftDate(date, LEARNING_DAYS);
    const days = await this.store.days(householdId, first, shiftDate(date, 1));
    const known = new Set(days.map((d) => d.day));
    for (let back = 1; back <= LEARNING_DAYS; back++) {
      const day = shiftDate(date, back);
      if (known.has(day)) continue;
      const start = instantOf(day, 0, timeZone);
      const length = Math.round((instantOf(shiftDate(day, -1), 0, timeZone).getTime() - start.getTime()) / 60_000);
      const away = profile.awayUntil !== null && profile.awayUntil > start;
      const summary = summarizeDay(day, await this.store.series(householdId, start, length), away);
      await this.store.saveDay(householdId, summary);
      days.push(summary);
    }
    const rhythm = learnRhythm(days);
    await this.#o.db.wellbeingProfile.update({
      where: { householdId },
      data: {
        usualStartMin: rhythm.usualStartMin,
        usualEndMin: rhythm.usualEndMin,
        usualHourly: rhythm.usualHourly.join(","),
        learnedFromDays: rhythm.learnedFromDays,
        learnedOn: date,
      },
    });
    Object.assign(profile, { ...rhythm, usualHourly: rhythm.usualHourly.join(","), learnedOn: date });
    return rhythm;
  }

  /** The usual day as of today (learned now if it was not yet today). */
  async rhythmFor(profile: ProfileWithHome, date: string): Promise<Rhythm> {
    return profile.learnedOn === date ? rhythmOf(profile) : this.#learn(profile, date);
  }

  // ── answers ──

  async answer(checkId: string, user: SignedInUser, answer: WellbeingAnswer): Promise<WellbeingCheckView> {
    const { db } = this.#o;
    const now = this.#clock();
    const check = await loadCheck(db, checkId);
    if (!check) throw notFoundError("wellbeing check");
    const role = await this.#answererRole(user, check);
    if (check.state === "closed") throw new DomainError("wellbeing-check-closed");
    await db.wellbeingAck.create({
      data: { checkId, userId: user.id, byName: user.displayName, role, answer, at: now },
    });
    if (answer === "all-well") {
      const atMin = localMoment(now, check.household.timeZone).minute;
      const text = closedText({
        elderName: check.household.elderName,
        reason: "all-well",
        byName: user.displayName,
        atMin,
      });
      await this.#close(check, "all-well", now, text);
    } else if (check.state === "open") await this.#escalate(checkId, "cannot-reach", user.displayName, now);
    return toCheckView((await loadCheck(db, checkId))!);
  }

  /** Family members of the household, the village's named contacts, and staff may answer; nobody else sees it. */
  async #answererRole(user: SignedInUser, check: CheckRow): Promise<"family" | "village-contact" | "staff"> {
    if (user.role === "staff") return "staff";
    if (user.role === "family") {
      if ((await familyOf(this.#o.db, check.householdId)).includes(user.id)) return "family";
      throw notFoundError("wellbeing check");
    }
    if ((await contactVillagesOf(this.#o.db, user.id)).includes(check.household.village)) return "village-contact";
    throw new DomainError("forbidden", { message: "only the village's named contacts answer checks here" });
  }

  activeCheck(householdId: string): Promise<CheckRow | null> {
    return activeCheckOf(this.#o.db, householdId);
  }

  latestCheckSince(householdId: string, since: Date): Promise<CheckRow | null> {
    return this.#o.db.wellbeingCheck.findFirst({
      where: { householdId, raisedAt: { gte: since } },
      include: checkInclude,
      orderBy: { raisedAt: "desc" },
    });
  }

  prune(): Promise<number> {
    return this.store.prune(this.#clock(), this.#o.policy.retentionMs);
  }
}

const minuteAfter = (from: Date, minutes: number) => new Date(from.getTime() + minutes * 60_000);

export function settingsOf(profile: ProfileRow | null): CheckSettings {
  if (!profile) return { enabled: true, startMarginMin: 120, quietHours: 4, awayUntil: null };
  const { enabled, startMarginMin, quietHours, awayUntil } = profile;
  return { enabled, startMarginMin, quietHours, awayUntil };
}

export function rhythmOf(profile: ProfileRow | null): Rhythm {
  if (!profile || profile.usualStartMin === null || profile.usualEndMin === null) return DEFAULT_RHYTHM;
  return {
    usualStartMin: profile.usualStartMin,
    usualEndMin: profile.usualEndMin,
    usualHourly: profile.usualHourly ? hourlyFromText(profile.usualHourly) : DEFAULT_RHYTHM.usualHourly,
    learnedFromDays: profile.learnedFromDays,
  };
}

/**
 * Which question could be due now, from the profile alone (no minutes read): none before the morning's due
 * time, none while the last movement is recent, none for a quiet stretch that would end after the usual evening.
 */
function candidateKey(profile: ProfileRow, rhythm: Rhythm, now: Date, date: string, nowMin: number): string | null {
  const timeZone = (profile as ProfileWithHome).household.timeZone;
  const dayOpen = instantOf(date, DAY_OPEN_MIN, timeZone);
  const last = profile.lastActivityAt;
  if (!last || last < dayOpen) {
    const dueMin = Math.min(rhythm.usualStartMin + profile.startMarginMin, rhythm.usualEndMin);
    return nowMin >= dueMin ? date : null;
  }
  const quietFrom = localMoment(last, timeZone).minute + 1;
  const dueMin = quietFrom + Math.round(profile.quietHours * 60);
  if (dueMin > rhythm.usualEndMin || nowMin < dueMin) return null;
  return `${date}+${quietFrom}`;
}
