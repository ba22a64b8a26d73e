import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import type { z } from "zod";
import type { loginReply } from "../../protocol/http.ts";
import { homeOf } from "./session.ts";
import { useServices, useT } from "./context.ts";
import { useAction } from "./hooks.ts";
import { ErrorText, Layout } from "./ui/Layout.tsx";

export function LoginScreen() {
  const { t } = useT();
  const { api, session } = useServices();
  const location = useLocation();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  // Why the last sign-in ended, when the server ended it (read once, so a reload does not repeat it).
  const [ended] = useState(() => session.takeEndReason());
  const signIn = useAction(async () => {
    const reply = await api.request<z.infer<typeof loginReply>>("POST", "/auth/login", {
      body: { username: username.trim(), password },
    });
    session.set(reply);
    const next = location.query.next;
    location.route(next && next.startsWith("/") && !next.startsWith("//") ? next : homeOf(reply), true);
  });
  return (
    <Layout title={t("auth.title")}>
      {ended ? (
        <p class="notice" role="alert" data-ended={ended}>
          {t(`auth.ended.${ended}`, { defaultValue: t("auth.ended.unauthorized") })}
        </p>
      ) : null}
      <p class="lead">{t("app.tagline")}</p>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void signIn.run();
        }}
      >
        <label>
          {t("auth.username")}
          <input
            name="username"
            autocomplete="username"
            autocapitalize="none"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          {t("auth.password")}
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <ErrorText error={signIn.error} />
        <button class="primary" type="submit" disabled={signIn.busy}>
          {signIn.busy ? t("common.wait") : t("auth.signIn")}
        </button>
      </form>
      <p class="muted">
        {t("auth.newHere")} <a href="/join">{t("auth.haveInvite")}</a>
      </p>
    </Layout>
  );
}
