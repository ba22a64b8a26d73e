// One's own account: change the password (every other sign-in of the account ends).
import { useState } from "preact/hooks";
import { useServices, useT } from "./context.ts";
import { useAction } from "./hooks.ts";
import { homeOf } from "./session.ts";
import { ErrorText, Layout } from "./ui/Layout.tsx";

export function AccountScreen() {
  const { t } = useT();
  const { api, session } = useServices();
  const [currentPassword, setCurrent] = useState("");
  const [newPassword, setNew] = useState("");
  const [saved, setSaved] = useState(false);
  const change = useAction(async () => {
    setSaved(false);
    await api.request("POST", "/auth/password", { body: { currentPassword, newPassword } });
    setCurrent("");
    setNew("");
    setSaved(true);
  });
  return (
    <Layout title={t("account.title")} back={homeOf(session.current())}>
      <form
        class="card stack"
        onSubmit={(e) => {
          e.preventDefault();
          void change.run();
        }}
      >
        <h2>{t("account.changePassword")}</h2>
        <label>
          {t("account.currentPassword")}
          <input
            name="currentPassword"
            type="password"
            autocomplete="current-password"
            required
            value={currentPassword}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        </label>
        <label>
          {t("account.newPassword")}
          <input
            name="newPassword"
            type="password"
            autocomplete="new-password"
            minLength={8}
            required
            value={newPassword}
            onInput={(e) => setNew(e.currentTarget.value)}
          />
        </label>
        <ErrorText error={change.error} />
        {saved ? (
          <p class="notice" role="status">
            {t("account.saved")}
          </p>
        ) : null}
        <button class="primary" type="submit" disabled={change.busy}>
          {change.busy ? t("common.wait") : t("common.save")}
        </button>
      </form>
    </Layout>
  );
}
