// Staff's and village contacts' list of wellbeing checks still open, by village: what was asked, who answered
// what and when, and the one-press answer for whoever goes to look.
import { useServices, useT } from "../context.ts";
import { dayTime } from "../format.ts";
import { useAction, useLiveEvents, useLoad } from "../hooks.ts";
import type { WellbeingCheck } from "../types.ts";
import { ErrorText, Layout, Loading } from "./Layout.tsx";

export function Acks({ check, lang }: { check: WellbeingCheck; lang: string }) {
  const { t } = useT();
  if (check.acks.length === 0) return null;
  return (
    <ul class="acks">
      {check.acks.map((a) => (
        <li key={a.at + a.byName}>{t(`wellbeing.ack.${a.answer}`, { name: a.byName, when: dayTime(a.at, lang) })}</li>
      ))}
    </ul>
  );
}

export function WellbeingChecksScreen() {
  const { t } = useT();
  const { api } = useServices();
  const list = useLoad((signal) => api.get<{ items: WellbeingCheck[] }>("/wellbeing/checks", { signal }), []);
  useLiveEvents((message) => {
    if (message.type === "wellbeing.check") list.reload();
  });
  const byVillage = new Map<string, WellbeingCheck[]>();
  for (const check of list.data?.items ?? [])
    byVillage.set(check.village, [...(byVillage.get(check.village) ?? []), check]);
  return (
    <Layout title={t("wellbeing.checksTitle")} back="/">
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && byVillage.size === 0 ? <p class="muted">{t("wellbeing.checksNone")}</p> : null}
      {[...byVillage].map(([village, checks]) => (
        <section key={village} class="stack" data-village={village}>
          <h2>{village}</h2>
          {checks.map((check) => (
            <CheckCard key={check.id} check={check} onAnswered={list.reload} />
          ))}
        </section>
      ))}
      <ErrorText error={list.error} />
    </Layout>
  );
}

function CheckCard({ check, onAnswered }: { check: WellbeingCheck; onAnswered: () => void }) {
  const { t, lang } = useT();
  const { api } = useServices();
  const answer = useAction(async () => {
    await api.request("POST", `/wellbeing/checks/${encodeURIComponent(check.id)}/answer`, {
      body: { answer: "all-well" },
    });
    onAnswered();
  });
  return (
    <article class={`card wellbeing-check ${check.state}`} data-testid="wellbeing-check" data-state={check.state}>
      <strong>{check.title}</strong>
      <p class="muted">
        {t(`wellbeing.state.${check.state}`)} · {t("wellbeing.raisedAt", { when: dayTime(check.raisedAt, lang) })}
      </p>
      <p>{check.body}</p>
      <p>
        <a href={`tel:${check.contactPhone}`}>{t("wellbeing.contactPhone", { phone: check.contactPhone })}</a>
      </p>
      <Acks check={check} lang={lang} />
      <button class="primary" disabled={answer.busy} onClick={() => void answer.run()}>
        {t("wellbeing.allWell")}
      </button>
      <ErrorText error={answer.error} />
    </article>
  );
}
