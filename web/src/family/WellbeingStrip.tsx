// "How is the day going at home": today's movement in quarter hours against the usual day, one plain sentence,
// the open check with its two one-press answers, and the household's settings (margins, away, consent).
import { useEffect, useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { dayTime } from "../format.ts";
import { useAction, useLiveEvents, useLoad, useSaveAction } from "../hooks.ts";
import type { WellbeingCheck, WellbeingSettings, WellbeingToday } from "../types.ts";
import { ErrorText, SavedNote } from "../ui/Layout.tsx";
import { Acks } from "../ui/WellbeingChecks.tsx";

export function WellbeingStrip({ householdId }: { householdId: string }) {
  const { t } = useT();
  const { api } = useServices();
  const url = `/households/${encodeURIComponent(householdId)}/wellbeing`;
  const today = useLoad((signal) => api.get<WellbeingToday>(url, { signal }), [url]);
  useLiveEvents((message) => {
    if (message.type === "wellbeing.check" && message.check.householdId === householdId) today.reload();
  });
  const data = today.data;
  return (
    <section class="card wellbeing stack" aria-labelledby={`wellbeing-${householdId}`} data-testid="wellbeing">
      <h2 id={`wellbeing-${householdId}`}>{t("wellbeing.title")}</h2>
      {data ? (
        <>
          {data.check ? <OpenCheck check={data.check} onAnswered={today.reload} /> : null}
          <p class={`wellbeing-summary camera-${data.camera}`} data-testid="wellbeing-summary">
            {data.summary}
          </p>
          <Strip today={data} />
          <WellbeingSettingsForm url={`${url}/settings`} settings={data.settings} onSaved={today.reload} />
        </>
      ) : null}
      <ErrorText error={today.error} />
    </section>
  );
}

/** Quarter hours from 04:00 to 22:00: what was seen today over the usual share of movement in that hour. */
function Strip({ today }: { today: WellbeingToday }) {
  const { t } = useT();
  const cells = [];
  for (let q = 16; q < 88; q++) {
    const seen = today.quarters[q];
    const usual = today.usualHourly[Math.floor(q / 4)] ?? 0;
    const state = seen === undefined ? "later" : seen === "." ? "unknown" : seen === "0" ? "still" : "moving";
    cells.push(
      <span key={q} class={`cell ${state}`} style={{ "--usual": String(Math.min(1, usual * 2)) }} data-state={state} />,
    );
  }
  return (
    <figure class="strip" aria-label={t("wellbeing.stripLabel")}>
      <div class="cells">{cells}</div>
      <div class="hours" aria-hidden="true">
        {["4", "8", "12", "16", "20"].map((h) => (
          <span key={h}>{h}</span>
        ))}
      </div>
      <figcaption class="muted">
        <span class="key moving" /> {t("wellbeing.moving")} <span class="key still" /> {t("wellbeing.still")}{" "}
        <span class="key unknown" /> {t("wellbeing.unknown")} <span class="key usual" /> {t("wellbeing.usual")}
        <br />
        {today.learnedFromDays > 0
          ? t("wellbeing.usualStart", { time: today.usualStart, days: today.learnedFromDays })
          : t("wellbeing.learning", { time: today.usualStart })}
      </figcaption>
    </figure>
  );
}

function OpenCheck({ check, onAnswered }: { check: WellbeingCheck; onAnswered: () => void }) {
  const { t, lang } = useT();
  const { api } = useServices();
  const answer = useAction(async (value: "all-well" | "cannot-reach") => {
    await api.request("POST", `/wellbeing/checks/${encodeURIComponent(check.id)}/answer`, { body: { answer: value } });
    onAnswered();
  });
  return (
    <div class={`wellbeing-check ${check.state}`} role="alert" data-testid="wellbeing-check" data-state={check.state}>
      <strong>{check.title}</strong>
      {check.state === "closed" ? null : <p>{check.body}</p>}
      {check.state === "escalated" ? <p class="hint">{t("wellbeing.escalated", { village: check.village })}</p> : null}
      <Acks check={check} lang={lang} />
      {check.state === "closed" ? null : (
        <div class="row answers">
          <button class="primary" disabled={answer.busy} onClick={() => void answer.run("all-well")}>
            {t("wellbeing.allWell")}
          </button>
          {check.state === "open" ? (
            <button class="danger" disabled={answer.busy} onClick={() => void answer.run("cannot-reach")}>
              {t("wellbeing.cannotReach")}
            </button>
          ) : null}
        </div>
      )}
      <ErrorText error={answer.error} />
    </div>
  );
}

const toLocalInput = (iso: string | null) => (iso ? iso.slice(0, 10) : "");

function WellbeingSettingsForm(props: { url: string; settings: WellbeingSettings; onSaved: () => void }) {
  const { t, lang } = useT();
  const { api } = useServices();
  const [form, setForm] = useState(props.settings);
  useEffect(() => setForm(props.settings), [props.settings]);
  const save = useSaveAction(async (next: WellbeingSettings) => {
    const { activityInPrivacySetBy: _by, activityInPrivacySetAt: _at, ...body } = next;
    await api.request("PUT", props.url, { body });
    props.onSaved();
  });
  const change = (patch: Partial<WellbeingSettings>) => void save.run({ ...form, ...patch });
  return (
    <details class="settings wellbeing-settings">
      <summary>{t("wellbeing.settings")}</summary>
      <div class="stack">
        <label class="check">
          <input
            type="checkbox"
            checked={form.enabled}
            onChange={(e) => change({ enabled: e.currentTarget.checked })}
          />
          {t("wellbeing.enabled")}
        </label>
        <HoursChoice
          label={t("wellbeing.startMargin")}
          hours={[1, 2, 3, 4]}
          value={form.startMarginMin / 60}
          onChange={(h) => change({ startMarginMin: h * 60 })}
        />
        <HoursChoice
          label={t("wellbeing.quietHours")}
          hours={[3, 4, 5, 6, 8]}
          value={form.quietHours}
          onChange={(h) => change({ quietHours: h })}
        />
        <label>
          {t("wellbeing.awayUntil")}{" "}
          <input
            type="date"
            value={toLocalInput(form.awayUntil)}
            onChange={(e) => {
              const day = e.currentTarget.value;
              change({ awayUntil: day ? new Date(`${day}T23:59:00+08:00`).toISOString() : null });
            }}
          />
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={form.activityInPrivacy}
            onChange={(e) => change({ activityInPrivacy: e.currentTarget.checked })}
          />
          {t("wellbeing.privacyConsent")}
        </label>
        {form.activityInPrivacySetBy ? (
          <small class="muted">
            {t("wellbeing.consentBy", {
              name: form.activityInPrivacySetBy,
              when: dayTime(form.activityInPrivacySetAt, lang),
            })}
          </small>
        ) : null}
        <SavedNote shown={save.saved} />
        <ErrorText error={save.error} />
      </div>
    </details>
  );
}

function HoursChoice(props: { label: string; hours: number[]; value: number; onChange: (hours: number) => void }) {
  const { t } = useT();
  return (
    <label>
      {props.label}{" "}
      <select value={String(props.value)} onChange={(e) => props.onChange(Number(e.currentTarget.value))}>
        {props.hours.map((h) => (
          <option key={h} value={String(h)}>
            {t("wellbeing.hours", { count: h })}
          </option>
        ))}
      </select>
    </label>
  );
}
