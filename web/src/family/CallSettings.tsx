// The household's call settings, agreed by the family: auto-answer of calls home after N seconds (shown with
// who set it and when), how long the camera stays private after the elder declines a call, and the call window.
import { useEffect, useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { dateTime } from "../format.ts";
import { useLoad, useSaveAction } from "../hooks.ts";
import type { CallSettings as Settings } from "../types.ts";
import { ErrorText, SavedNote } from "../ui/Layout.tsx";
import { CallWindowSettings } from "./CallWindowSettings.tsx";

/** @param callButton a camera of this home has the elder's call button (else only auto-answer connects a call). */
export function CallSettings({ householdId, callButton }: { householdId: string; callButton: boolean }) {
  const { t, lang } = useT();
  const { api } = useServices();
  const url = `/households/${encodeURIComponent(householdId)}/call-settings`;
  const loaded = useLoad((signal) => api.get<Settings>(url, { signal }), [householdId]);
  const [autoAnswer, setAutoAnswer] = useState("");
  const [privacyMin, setPrivacyMin] = useState("30");
  useEffect(() => {
    if (!loaded.data) return;
    setAutoAnswer(loaded.data.autoAnswerAfterS === null ? "" : String(loaded.data.autoAnswerAfterS));
    setPrivacyMin(String(loaded.data.declinePrivacyMin));
  }, [loaded.data]);
  const save = useSaveAction(async () => {
    await api.request<Settings>("PUT", url, {
      body: { autoAnswerAfterS: autoAnswer ? Number(autoAnswer) : null, declinePrivacyMin: Number(privacyMin) },
    });
    loaded.reload();
  });
  const data = loaded.data;
  return (
    <details class="card call-settings">
      <summary>{t("callSettings.title")}</summary>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run();
        }}
      >
        <label>
          {t("callSettings.autoAnswer")}
          <select name="autoAnswer" value={autoAnswer} onChange={(e) => setAutoAnswer(e.currentTarget.value)}>
            <option value="">
              {callButton ? t("callSettings.autoAnswerOff") : t("callSettings.autoAnswerOffNoButton")}
            </option>
            {[10, 20, 30, 60].map((s) => (
              <option key={s} value={String(s)}>
                {t("callSettings.afterSeconds", { count: s })}
              </option>
            ))}
          </select>
        </label>
        {data?.autoAnswerSetBy ? (
          <small class="muted" data-testid="auto-answer-set-by">
            {t("callSettings.setBy", { name: data.autoAnswerSetBy, when: dateTime(data.autoAnswerSetAt, lang) })}
          </small>
        ) : null}
        <label>
          {t("callSettings.declinePrivacy")}
          <select name="declinePrivacy" value={privacyMin} onChange={(e) => setPrivacyMin(e.currentTarget.value)}>
            {[15, 30, 60, 120, 240].map((m) => (
              <option key={m} value={String(m)}>
                {t("callSettings.minutes", { count: m })}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={save.busy}>
          {save.busy ? t("common.sending") : t("common.save")}
        </button>
        <SavedNote shown={save.saved} />
        <ErrorText error={loaded.error ?? save.error} />
      </form>
      <CallWindowSettings householdId={householdId} />
    </details>
  );
}
