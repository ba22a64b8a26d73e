// The household's call window: hours (in the home's time zone) when looking in needs a call home first.
// Any member may set it; everyone sees who set it and when.
import { useEffect, useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { dateTime } from "../format.ts";
import { useLoad, useSaveAction } from "../hooks.ts";
import type { CallWindow } from "../types.ts";
import { ErrorText, SavedNote } from "../ui/Layout.tsx";

const zones = ["Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong"];

export function CallWindowSettings({ householdId }: { householdId: string }) {
  const { t, lang } = useT();
  const { api } = useServices();
  const url = `/households/${encodeURIComponent(householdId)}/call-window`;
  const loaded = useLoad((signal) => api.get<CallWindow>(url, { signal }), [householdId]);
  const [form, setForm] = useState({ on: false, start: "22:00", end: "07:00", timeZone: "Asia/Shanghai" });
  useEffect(() => {
    const w = loaded.data;
    if (w)
      setForm({
        on: w.window !== null,
        start: w.window?.start ?? "22:00",
        end: w.window?.end ?? "07:00",
        timeZone: w.timeZone,
      });
  }, [loaded.data]);
  const save = useSaveAction(async () => {
    const window = form.on ? { start: form.start, end: form.end } : null;
    await api.request<CallWindow>("PUT", url, { body: { window, timeZone: form.timeZone } });
    loaded.reload();
  });
  const data = loaded.data;
  return (
    <fieldset class="stack settings call-window" data-testid="call-window">
      <legend>{t("callWindow.title")}</legend>
      <small class="muted">{t("callWindow.hint")}</small>
      <label class="check">
        <input
          type="checkbox"
          name="callWindowOn"
          checked={form.on}
          onChange={(e) => setForm({ ...form, on: e.currentTarget.checked })}
        />
        {t("callWindow.enable")}
      </label>
      <label>
        {t("callWindow.from")}
        <input
          type="time"
          name="callWindowStart"
          value={form.start}
          disabled={!form.on}
          onInput={(e) => setForm({ ...form, start: e.currentTarget.value })}
        />
      </label>
      <label>
        {t("callWindow.to")}
        <input
          type="time"
          name="callWindowEnd"
          value={form.end}
          disabled={!form.on}
          onInput={(e) => setForm({ ...form, end: e.currentTarget.value })}
        />
      </label>
      <TimeZoneChoice value={form.timeZone} onChange={(timeZone) => setForm({ ...form, timeZone })} />
      {data?.setBy ? (
        <small class="muted" data-testid="call-window-set-by">
          {t("callSettings.setBy", { name: data.setBy, when: dateTime(data.setAt, lang) })}
          {data.activeNow ? ` · ${t("callWindow.activeNow")}` : ""}
        </small>
      ) : null}
      <button type="button" disabled={save.busy} onClick={() => void save.run()}>
        {save.busy ? t("common.sending") : t("callWindow.save")}
      </button>
      <SavedNote shown={save.saved} />
      <ErrorText error={loaded.error ?? save.error} />
    </fieldset>
  );
}

function TimeZoneChoice({ value, onChange }: { value: string; onChange: (zone: string) => void }) {
  const { t } = useT();
  return (
    <label>
      {t("callWindow.timeZone")}
      <select name="timeZone" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {[...new Set([value, ...zones])].map((z) => (
          <option key={z} value={z}>
            {t(`callWindow.zones.${z}`, { defaultValue: z })}
          </option>
        ))}
      </select>
    </label>
  );
}
