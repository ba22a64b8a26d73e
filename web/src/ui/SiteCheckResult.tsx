// An on-site check's verdict, the advice that goes with it and the figures it came from (installer and staff).
import { useT } from "../context.ts";
import { timeAgo } from "../format.ts";
import type { SiteCheckView } from "../types.ts";

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
        <dd>
          {Math.round(m.video.kbps + m.audio.kbps)} kbit/s · {t("siteCheck.loss", { pct: m.video.lossPct })}
        </dd>
        <dt>{t("siteCheck.roundTrip")}</dt>
        <dd>{Math.round(m.roundTripMs.median)} ms</dd>
        <dt>{t("siteCheck.wifi")}</dt>
        <dd>{m.rssiDbm ?? "—"} dBm</dd>
        <dt>{t("siteCheck.clock")}</dt>
        <dd>{m.clockSkewMs === null ? "—" : `${(m.clockSkewMs / 1000).toFixed(1)} s`}</dd>
      </dl>
      <p class="muted">
        {t("siteCheck.by", { who: check.requestedBy, when: timeAgo(check.startedAt, lang, now) ?? "" })}
      </p>
    </div>
  );
}
