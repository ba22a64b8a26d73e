// An on-site check's verdict, the advice that goes with it and the figures it came from (installer and staff).
import { useT } from "../context.ts";
import { signalWord, timeAgo } from "../format.ts";
import type { SiteCheckView } from "../types.ts";

/** Round trips in words; slow from 1 s, as the verdict's advice (gateway/src/site-check/verdict.ts). */
const delayWord = (ms: number) => (ms < 300 ? "fast" : ms < 1000 ? "fair" : "slow");

/** The camera's clock: right, or off by about so many seconds (more than 2 s is advised on, as the verdict does). */
function clockWords(skewMs: number | null, t: (key: string, o?: Record<string, unknown>) => string): string {
  if (skewMs === null) return "—";
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  return seconds <= 2 ? t("siteCheck.clockRight") : t("siteCheck.clockOff", { seconds });
}

const verdictClass = { "video-ok": "ok", "audio-only": "hint", "no-video": "error" } as const;

export function SiteCheckResult({ check, now }: { check: SiteCheckView; now: number }) {
  const { t, lang } = useT();
  if (check.state === "failed")
    return (
      <div class="stack" data-site-check={check.id} data-state="failed">
        <p class="error" role="alert">
          {t("siteCheck.failed")} {check.error ? t(`errors.${check.error}`, { defaultValue: check.error }) : ""}
        </p>
      </div>
    );
  if (!check.verdict || !check.measurements) return null;
  const m = check.measurements;
  return (
    <div class="stack" data-site-check={check.id} data-verdict={check.verdict}>
      <p class={`verdict ${verdictClass[check.verdict]}`} role="status">
        <strong>{t(`siteCheck.verdict.${check.verdict}`)}</strong>
      </p>
      <p class="muted">{t(`siteCheck.explain.${check.verdict}`)}</p>
      {check.advice.length ? (
        <ul class="advice">
          {check.advice.map((a) => (
            <li key={a} data-advice={a}>
              {t(`siteCheck.advice.${a}`, { skewS: Math.round(Math.abs(m.clockSkewMs ?? 0) / 1000) })}
            </li>
          ))}
        </ul>
      ) : null}
      <dl class="facts compact">
        <dt>{t("siteCheck.uplink")}</dt>
        <dd>{t(`siteCheck.uplinkWord.${check.verdict}`)}</dd>
        <dt>{t("siteCheck.wifi")}</dt>
        <dd>{m.rssiDbm === null ? "—" : t(`signal.${signalWord(m.rssiDbm)}`)}</dd>
        <dt>{t("siteCheck.roundTrip")}</dt>
        <dd>{t(`siteCheck.delay.${delayWord(m.roundTripMs.median)}`)}</dd>
        <dt>{t("siteCheck.clock")}</dt>
        <dd>{clockWords(m.clockSkewMs, t)}</dd>
      </dl>
      <p class="muted">
        {t("siteCheck.by", {
          who: check.requestedByName ?? t("staff.someone"),
          when: timeAgo(check.startedAt, lang, now) ?? "",
        })}
      </p>
    </div>
  );
}
