// The family's strip: today in quarter hours against the usual day, in one plain sentence.
import type { Database } from "../../../core/database.ts";
import type { WellbeingSettingsView, WellbeingTodayView } from "../../../protocol/wellbeing.ts";
import { toCheckView } from "./check-records.ts";
import { STALE_REPORT_MIN, isAway, lastMovement, reportedUntil } from "./checks.ts";
import { clockText, instantOf, localMoment } from "./local-time.ts";
import { NOT_REPORTED, isMoving } from "./minutes.ts";
import { DAY_OPEN_MIN, DEFAULT_RHYTHM } from "./rhythm.ts";
import { settingsOf, type ProfileRow, type WellbeingService } from "./wellbeing-service.ts";
import { todaySentence } from "./wellbeing-text.ts";

/** 96 characters: each quarter hour's strongest minute, "." when nothing was reported in it. */
export function quarters(today: string): string {
  let out = "";
  for (let q = 0; q * 15 < today.length; q++) {
    const slice = today.slice(q * 15, q * 15 + 15);
    out += [...slice].reduce((best, c) => (c === NOT_REPORTED ? best : best === NOT_REPORTED || c > best ? c : best));
  }
  return out;
}

export function settingsView(profile: ProfileRow | null): WellbeingSettingsView {
  const s = settingsOf(profile);
  return {
    ...s,
    awayUntil: s.awayUntil?.toISOString() ?? null,
    activityInPrivacy: profile?.activityInPrivacy ?? false,
    activityInPrivacySetBy: profile?.activityInPrivacySetBy ?? null,
    activityInPrivacySetAt: profile?.activityInPrivacySetAt?.toISOString() ?? null,
  };
}

type CameraState = WellbeingTodayView["camera"];

async function cameraState(db: Database, householdId: string, reportingNow: boolean, profile: ProfileRow | null) {
  if (reportingNow) return "reporting" satisfies CameraState;
  const devices = await db.device.findMany({ where: { householdId }, select: { connection: true, privacy: true } });
  if (devices.length === 0 || !profile?.lastReportAt) return "none" satisfies CameraState;
  const online = devices.filter((d) => d.connection === "online");
  if (online.length > 0 && online.every((d) => d.privacy) && !profile.activityInPrivacy)
    return "private" satisfies CameraState;
  return "offline" satisfies CameraState;
}

export async function todayView(
  db: Database,
  service: WellbeingService,
  householdId: string,
): Promise<WellbeingTodayView> {
  const now = service.now();
  const household = await db.household.findUniqueOrThrow({ where: { id: householdId }, select: { timeZone: true } });
  const { timeZone } = household;
  const profile = await db.wellbeingProfile.findUnique({ where: { householdId } });
  const { date } = localMoment(now, timeZone);
  const rhythm = profile ? await service.rhythmFor({ ...profile, household }, date) : DEFAULT_RHYTHM;
  const midnight = instantOf(date, 0, timeZone);
  const nowMin = Math.floor((now.getTime() - midnight.getTime()) / 60_000);
  const today = await service.store.series(householdId, midnight, nowMin);
  const camera = await cameraState(db, householdId, reportedUntil(today) >= nowMin - STALE_REPORT_MIN, profile);
  const settings = settingsOf(profile);
  const away = isAway(settings, now) ? settings.awayUntil : null;
  const firstActive = [...today].findIndex((c, i) => i >= DAY_OPEN_MIN && isMoving(c));
  const lastActive = lastMovement(today);
  const open = (await service.activeCheck(householdId)) ?? (await service.latestCheckSince(householdId, midnight));
  const awayLocal = away ? localMoment(away, timeZone) : null;
  return {
    householdId,
    timeZone,
    date,
    quarters: quarters(today),
    usualHourly: rhythm.usualHourly,
    usualStart: clockText(rhythm.usualStartMin),
    usualEnd: clockText(rhythm.usualEndMin),
    learnedFromDays: rhythm.learnedFromDays,
    lastActivityAt: profile?.lastActivityAt?.toISOString() ?? null,
    camera,
    summary: todaySentence({
      camera,
      awayUntil: away,
      awayUntilText: awayLocal
        ? `${Number(awayLocal.date.slice(5, 7))} 月 ${Number(awayLocal.date.slice(8))} 日 ${clockText(awayLocal.minute)}`
        : "",
      nowMin,
      firstActiveMin: firstActive < 0 ? null : firstActive,
      lastActiveMin: lastActive,
      usualStartMin: rhythm.usualStartMin,
    }),
    check: open ? toCheckView(open) : null,
    settings: settingsView(profile),
  };
}
