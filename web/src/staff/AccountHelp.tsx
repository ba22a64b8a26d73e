// Staff helping a person who lost a phone or a password: where the account is signed in, sign it out
// everywhere, set a new password (to tell them in person or on the phone). All audited by the gateway.
import { useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";
import type { AccountView } from "../types.ts";
import { ErrorText } from "../ui/Layout.tsx";
import { PasswordInput } from "../ui/PasswordInput.tsx";
import { passwordRuleFor } from "../ui/new-password.ts";
import type { SessionView } from "../ui/Sessions.tsx";

export function AccountHelp({ account }: { account: AccountView }) {
  const { t } = useT();
  return (
    <details class="account-help">
      <summary>{t("accounts.help")}</summary>
      <SignedInOn userId={account.id} />
      <SetPassword account={account} />
    </details>
  );
}

function SignedInOn({ userId }: { userId: string }) {
  const { t } = useT();
  const { api } = useServices();
  const path = `/users/${encodeURIComponent(userId)}`;
  const list = useLoad((signal) => api.get<{ items: SessionView[] }>(`${path}/sessions`, { signal }), [userId]);
  const [ended, setEnded] = useState<number | null>(null);
  const signOut = useAction(async () => {
    setEnded((await api.request<{ ended: number }>("POST", `${path}/sign-out`)).ended);
    list.reload();
  });
  const count = list.data?.items.length ?? 0;
  return (
    <div class="stack">
      <p class="muted">{t("accounts.signedInOn", { count })}</p>
      <button
        type="button"
        name="sign-out-everywhere"
        disabled={signOut.busy || count === 0}
        onClick={() => void signOut.run()}
      >
        {t("accounts.signOutEverywhere")}
      </button>
      {ended !== null ? (
        <p class="ok" role="status">
          {t("accounts.signedOut", { count: ended })}
        </p>
      ) : null}
      <ErrorText error={list.error ?? signOut.error} />
    </div>
  );
}

function SetPassword({ account }: { account: AccountView }) {
  const { t } = useT();
  const { api } = useServices();
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const save = useAction(async () => {
    setDone(false);
    await api.request("POST", `/users/${encodeURIComponent(account.id)}/password`, { body: { newPassword: password } });
    setPassword("");
    setDone(true);
  });
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <PasswordInput
        name="newPassword"
        label={t("accounts.newPasswordFor", { name: account.displayName })}
        value={password}
        onInput={setPassword}
        rule={passwordRuleFor(account.role)}
      />
      <button type="submit" disabled={save.busy}>
        {t("accounts.setPassword")}
      </button>
      {done ? (
        <p class="ok" role="status">
          {t("accounts.passwordSet", { name: account.displayName })}
        </p>
      ) : null}
      <ErrorText error={save.error} />
    </form>
  );
}
