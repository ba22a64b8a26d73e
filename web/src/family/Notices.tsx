// What the household was told about its cameras (offline for a while, back), updated live, and which of these
// notices reach this member's phone and open app.
import { useEffect, useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { timeAgo } from "../format.ts";
import { useLiveEvents, useLoad, useSaveAction, useTick } from "../hooks.ts";
import type { Notice, NoticePreferences } from "../types.ts";
import { ErrorText, SavedNote } from "../ui/Layout.tsx";

export function Notices({ householdId }: { householdId: string }) {
  const { t, lang } = useT();
  const { api } = useServices();
  const now = useTick();
  const base = `/households/${encodeURIComponent(householdId)}`;
  const list = useLoad((signal) => api.get<{ items: Notice[] }>(`${base}/notices?limit=5`, { signal }), [householdId]);
  useLiveEvents((message) => {
    if (message.type === "notice" && message.notice.householdId === householdId) list.reload();
  });
  const items = list.data?.items ?? [];
  return (
    <section class="card notices" aria-labelledby={`notices-${householdId}`} data-testid="notices">
      <h2 id={`notices-${householdId}`}>{t("notices.title")}</h2>
      {items.length === 0 ? <p class="muted">{t("notices.none")}</p> : null}
      <ul>
        {items.map((n) => (
          <li key={n.id} class={n.kind === "camera-offline" ? "notice warn" : "notice ok"} data-kind={n.kind}>
            <strong>{n.title}</strong> <small class="muted">{timeAgo(n.createdAt, lang, now)}</small>
            <p>{n.body}</p>
          </li>
        ))}
      </ul>
      <NoticeChoices base={base} />
      <ErrorText error={list.error} />
    </section>
  );
}

function NoticeChoices({ base }: { base: string }) {
  const { t } = useT();
  const { api } = useServices();
  const url = `${base}/notice-preferences`;
  const loaded = useLoad((signal) => api.get<NoticePreferences>(url, { signal }), [url]);
  const [choice, setChoice] = useState<NoticePreferences>({ cameraOffline: true, cameraBack: true });
  useEffect(() => {
    if (loaded.data) setChoice(loaded.data);
  }, [loaded.data]);
  const save = useSaveAction(async (next: NoticePreferences) => {
    setChoice(next);
    setChoice(await api.request<NoticePreferences>("PUT", url, { body: next }));
  });
  return (
    <fieldset class="stack settings notice-choices">
      <legend>{t("notices.choose")}</legend>
      {(["cameraOffline", "cameraBack"] as const).map((kind) => (
        <label class="check" key={kind}>
          <input
            type="checkbox"
            name={kind}
            checked={choice[kind]}
            disabled={save.busy}
            onChange={(e) => void save.run({ ...choice, [kind]: e.currentTarget.checked })}
          />
          {t(`notices.kinds.${kind}`)}
        </label>
      ))}
      <SavedNote shown={save.saved} />
      <ErrorText error={loaded.error ?? save.error} />
    </fieldset>
  );
}
