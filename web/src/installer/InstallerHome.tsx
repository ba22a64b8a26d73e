// The installer's start: households (search, open) and a new household. Creation survives a flaky village
// network: one requestId per form, the button disabled while in flight, retries with backoff on network errors.
import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { householdBody } from "../../../protocol/http.ts";
import { newRequestId, type ApiClient } from "../api.ts";
import { useServices, useT } from "../context.ts";
import { formProblems } from "../form-problems.ts";
import { useAction, useLoad } from "../hooks.ts";
import type { HouseholdView, Page } from "../types.ts";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import { householdDevicesPath, householdPath } from "./HouseholdScreen.tsx";
import { cachedGet, useBindQueue } from "./offline.ts";

/** Keeps every listed household's page on the phone, so it opens where there is no signal. */
function useKeptOffline(api: ApiClient, households: HouseholdView[] | undefined): number | null {
  const [kept, setKept] = useState<number | null>(null);
  useEffect(() => {
    if (!households || !navigator.onLine) return;
    let cancelled = false;
    void (async () => {
      for (const h of households.slice(0, 50)) {
        if (cancelled) return;
        await Promise.all([cachedGet(api, householdPath(h.id)), cachedGet(api, householdDevicesPath(h.id))]).catch(
          () => undefined,
        );
      }
      if (!cancelled) setKept(Math.min(households.length, 50));
    })();
    return () => {
      cancelled = true;
    };
  }, [households]);
  return kept;
}

export function InstallerHome() {
  const { t } = useT();
  const { api } = useServices();
  const [q, setQ] = useState("");
  const [adding, setAdding] = useState(false);
  const households = useLoad(
    (signal) =>
      cachedGet<Page<HouseholdView>>(api, `/households?limit=200${q ? `&q=${encodeURIComponent(q)}` : ""}`, signal),
    [q],
  );
  const kept = useKeptOffline(api, q ? undefined : households.data?.items);
  const queue = useBindQueue(api, () => households.reload());
  const waiting = queue.items.filter((i) => !i.conflict).length;
  const conflicts = queue.items.length - waiting;
  return (
    <Layout title={t("installer.title")}>
      {adding ? (
        <NewHousehold onCancel={() => setAdding(false)} />
      ) : (
        <button type="button" class="primary" onClick={() => setAdding(true)}>
          {t("installer.newHousehold")}
        </button>
      )}
      <label class="search">
        {t("installer.search")}
        <input
          type="search"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
          placeholder={t("installer.searchHint")}
        />
      </label>
      {kept !== null ? (
        <p class="muted" data-testid="kept-offline">
          {t("offline.kept", { count: kept })}
        </p>
      ) : null}
      {queue.items.length ? (
        <p class={conflicts ? "error" : "hint"} role="status">
          {t("offline.summary", { waiting, conflicts })}
        </p>
      ) : null}
      <a class="card row-link" href="/installer/wellbeing">
        {t("wellbeing.checksLink")}
      </a>
      <ErrorText error={households.error} />
      {households.loading && !households.data ? <Loading /> : null}
      <ul class="list">
        {households.data?.items.map((h) => (
          <li key={h.id}>
            <a class="card row-link" href={`/installer/household/${h.id}`}>
              <strong>{h.elderName}</strong>
              <span class="muted">
                {h.village} · {t("installer.cameras", { count: h.deviceCount })}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </Layout>
  );
}

function NewHousehold({ onCancel }: { onCancel: () => void }) {
  const { t } = useT();
  const { api } = useServices();
  const { route } = useLocation();
  // One id for this form: a retried or double-sent request creates the household once.
  const [requestId] = useState(newRequestId);
  const [form, setForm] = useState({ village: "", elderName: "", contactName: "", contactPhone: "", address: "" });
  const [invalid, setInvalid] = useState<string | null>(null);
  const field = (name: keyof typeof form) => ({
    name,
    value: form[name],
    onInput: (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [name]: e.currentTarget.value }),
  });
  const create = useAction(async () => {
    const body = householdBody.safeParse({
      ...form,
      contactName: form.contactName || undefined,
      address: form.address || undefined,
      requestId,
    });
    if (!body.success) {
      setInvalid(formProblems(body.error.issues, t, "household"));
      return;
    }
    setInvalid(null);
    const created = await api.request<HouseholdView>("POST", "/households", { body: body.data, retry: true });
    route(`/installer/household/${created.id}`);
  });
  return (
    <form
      class="stack card"
      onSubmit={(e) => {
        e.preventDefault();
        void create.run();
      }}
    >
      <h2>{t("installer.newHousehold")}</h2>
      <label>
        {t("household.village")}
        <input {...field("village")} required maxLength={80} />
      </label>
      <label>
        {t("household.elderName")}
        <input {...field("elderName")} required maxLength={40} />
      </label>
      <label>
        {t("household.contactName")}
        <input {...field("contactName")} maxLength={40} />
      </label>
      <label>
        {t("household.contactPhone")}
        <input {...field("contactPhone")} type="tel" inputMode="tel" required />
      </label>
      <label>
        {t("household.address")}
        <input {...field("address")} maxLength={200} />
      </label>
      {invalid ? (
        <p class="error" role="alert">
          {invalid}
        </p>
      ) : null}
      <ErrorText error={create.error} />
      <div class="row">
        <button type="submit" class="primary" disabled={create.busy}>
          {create.busy ? t("common.sending") : t("common.save")}
        </button>
        <button type="button" onClick={onCancel} disabled={create.busy}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
