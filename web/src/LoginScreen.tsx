import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import type { z } from "zod";
import type { loginReply } from "../../protocol/http.ts";
import type { ChannelsView } from "../../protocol/phone.ts";
import { PhoneCodeFields, type PhoneCodeValue } from "./PhoneCode.tsx";
import { homeOf } from "./session.ts";
import { useServices, useT } from "./context.ts";
import { useAction } from "./hooks.ts";
import { ErrorText, Layout } from "./ui/Layout.tsx";
import { PasswordInput } from "./ui/PasswordInput.tsx";

export function LoginScreen() {
  const { t } = useT();
  const { api, session } = useServices();
  const location = useLocation();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [byCode, setByCode] = useState<PhoneCodeValue>({ phone: "", code: "" });
  // Sign-in by SMS code is offered where this server can send SMS, and is then what the screen shows first.
  const [mode, setMode] = useState<"code" | "password" | null>(null);
  useEffect(() => {
    api.get<ChannelsView>("/channels").then(
      (channels) => setMode((m) => m ?? (channels.sms ? "code" : "password")),
      () => setMode((m) => m ?? "password"),
    );
  }, [api]);
  // Why the last sign-in ended, when the server ended it (read once, so a reload does not repeat it).
  const [ended] = useState(() => session.takeEndReason());
  const signIn = useAction(async () => {
    const reply =
      mode === "code"
        ? await api.request<z.infer<typeof loginReply>>("POST", "/auth/phone/login", { body: byCode })
        : await api.request<z.infer<typeof loginReply>>("POST", "/auth/login", {
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
      {mode ? (
        <div class="tabs" role="group">
          <button type="button" name="by-code" aria-pressed={mode === "code"} onClick={() => setMode("code")}>
            {t("phone.signInByCode")}
          </button>
          <button
            type="button"
            name="by-password"
            aria-pressed={mode === "password"}
            onClick={() => setMode("password")}
          >
            {t("phone.signInByPassword")}
          </button>
        </div>
      ) : null}
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void signIn.run();
        }}
      >
        {mode === "code" ? <PhoneCodeFields purpose="sign-in" value={byCode} onChange={setByCode} /> : null}
        {mode === "code" ? null : <PasswordFields {...{ username, setUsername, password, setPassword }} />}
        <ErrorText error={signIn.error} />
        <button class="primary" type="submit" disabled={signIn.busy || mode === null}>
          {signIn.busy ? t("common.wait") : t("auth.signIn")}
        </button>
      </form>
      <p class="muted">
        <a href="/forgot-password">{t("auth.forgot")}</a>
      </p>
      <p class="muted">
        {t("auth.newHere")} <a href="/join">{t("auth.haveInvite")}</a>
      </p>
    </Layout>
  );
}

function PasswordFields(p: {
  username: string;
  setUsername(v: string): void;
  password: string;
  setPassword(v: string): void;
}) {
  const { t } = useT();
  const { username, setUsername, password, setPassword } = p;
  return (
    <>
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
      <PasswordInput name="password" label={t("auth.password")} value={password} onInput={setPassword} />
    </>
  );
}
