// The installer's start: households (search, open) and a new household. Creation survives a flaky village
// network: one requestId per form, the button disabled while in flight, retries with backoff on network errors.
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { householdBody } from "../../../protocol/http.ts";
import { newRequestId } from "../api.ts";
import { useServices, useT } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";
import type { HouseholdView, Page } from "../types.ts";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";

export function InstallerHome() {
  const { t } = useT();
  const { api } = useServices();
  const [q, setQ] = useState("");
  const [adding, setAdding] = useState(false);
  const households = useLoad((signal) => api.get<Page<HouseholdView>>(`/households?limit=200${q ? `&q=${encodeURIComponent(q)}` : ""}`, { signal }), [q]);
  return (
    <Layout title={t("installer.title")}>
      {adding ? <NewHousehold onCancel={() => setAdding(false)} /> : (
        <button type="button" class="primary" onClick={() => setAdding(true)}>{t("installer.newHousehold")}</button>
      )}
      <label class="search">{t("installer.search")}<input type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} placeholder={t("installer.searchHint")} /></label>
      <ErrorText error={households.error} />
      {households.loading && !households.data ? <Loading /> : null}
      <ul class="list">
        {households.data?.items.map((h) => (
          <li key={h.id}>
            <a class="card row-link" href={`/installer/household/${h.id}`}>
              <strong>{h.elderName}</strong>
              <span class="muted">{h.village} · {t("installer.cameras", { count: h.deviceCount })}</span>
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
  const field = (name: keyof typeof form) => ({ name, value: form[name], onInput: (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [name]: e.currentTarget.value }) });
  const create = useAction(async () => {
    const body = householdBody.safeParse({ ...form, contactName: form.contactName || undefined, address: form.address || undefined, requestId });
    if (!body.success) {
      setInvalid(body.error.issues.map((i) => `${t(`household.${String(i.path[0])}`)}: ${i.message}`).join("; "));
      return;
    }
    setInvalid(null);
    const created = await api.request<HouseholdView>("POST", "/households", { body: body.data, retry: true });
    route(`/installer/household/${created.id}`);
  });
  return (
    <form class="stack card" onSubmit={(e) => { e.preventDefault(); void create.run(); }}>
      <h2>{t("installer.newHousehold")}</h2>
      <label>{t("household.village")}<input {...field("village")} required maxLength={80} /></label>
      <label>{t("household.elderName")}<input {...field("elderName")} required maxLength={40} /></label>
      <label>{t("household.contactName")}<input {...field("contactName")} maxLength={40} /></label>
      <label>{t("household.contactPhone")}<input {...field("contactPhone")} type="tel" inputMode="tel" required /></label>
      <label>{t("household.address")}<input {...field("address")} maxLength={200} /></label>
      {invalid ? <p class="error" role="alert">{invalid}</p> : null}
      <ErrorText error={create.error} />
      <div class="row">
        <button type="submit" class="primary" disabled={create.busy}>{create.busy ? t("common.sending") : t("common.save")}</button>
        <button type="button" onClick={onCancel} disabled={create.busy}>{t("common.cancel")}</button>
      </div>
    </form>
  );
}
