// /join/<code>: the link an installer or a relative sends. Shows whose home it is, then joins: a signed-in
// family account accepts; a new worker creates an account with the code in the same step.
import { useState } from "preact/hooks";
import type { ChannelsView } from "../../protocol/phone.ts";
import { PhoneCodeFields, type PhoneCodeValue } from "./PhoneCode.tsx";
import { useLocation, useRoute } from "preact-iso";
import type { AcceptInviteReply, InvitePreview, RegisterReply } from "../../protocol/invites.ts";
import { useServices, useT } from "./context.ts";
import { useAction, useLoad } from "./hooks.ts";
import { ErrorText, Layout, Loading } from "./ui/Layout.tsx";
import { PasswordInput } from "./ui/PasswordInput.tsx";
import { familyPasswordRule } from "./ui/new-password.ts";
import { useAccountStrings } from "./locales/account.ts";

const normalise = (code: string) =>
  code
    .trim()
    .toUpperCase()
    .replace(/[^0-9A-Z]/g, "");

export function JoinScreen() {
  useAccountStrings();
  const { t } = useT();
  const { params } = useRoute();
  const code = normalise(params.code ?? "");
  return (
    <Layout title={t("join.title")}>
      {code.length === 8 ? <InviteFound code={code} /> : <CodeForm initial={code} />}
    </Layout>
  );
}

function CodeForm({ initial }: { initial: string }) {
  const { t } = useT();
  const { route } = useLocation();
  const [code, setCode] = useState(initial);
  const valid = normalise(code).length === 8;
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) route(`/join/${normalise(code)}`);
      }}
    >
      <p class="lead">{t("join.enterCode")}</p>
      <label>
        {t("join.code")}
        <input
          name="code"
          class="code"
          inputMode="text"
          autocapitalize="characters"
          placeholder="K7P2-9QXM"
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
        />
      </label>
      <button class="primary" type="submit" disabled={!valid}>
        {t("common.next")}
      </button>
    </form>
  );
}

function InviteFound({ code }: { code: string }) {
  const { t } = useT();
  const { api, session } = useServices();
  const preview = useLoad((signal) => api.get<InvitePreview>(`/invites/${code}`, { signal }), [code]);
  const user = session.current()?.user;
  if (preview.loading && !preview.data) return <Loading />;
  if (!preview.data) {
    return (
      <>
        <ErrorText error={preview.error} />
        <p>
          <a class="button" href="/join">
            {t("join.tryAnother")}
          </a>
        </p>
      </>
    );
  }
  return (
    <div class="stack">
      <div class="card invite-card">
        <p class="muted">{t("join.invitedTo")}</p>
        <p class="big">{t("join.home", { elder: preview.data.elderName })}</p>
        <p>{preview.data.village}</p>
      </div>
      {user?.role === "family" ? (
        <Accept code={code} />
      ) : user ? (
        <p class="error">{t("join.familyOnly")}</p>
      ) : (
        <Register code={code} relation={preview.data.relation} />
      )}
    </div>
  );
}

function Accept({ code }: { code: string }) {
  const { t } = useT();
  const { api } = useServices();
  const { route } = useLocation();
  const accept = useAction(async () => {
    await api.request<AcceptInviteReply>("POST", "/invites/accept", { body: { code }, retry: true });
    route("/family", true);
  });
  return (
    <>
      <ErrorText error={accept.error} />
      <button class="primary" type="button" disabled={accept.busy} onClick={() => void accept.run()}>
        {t("join.accept")}
      </button>
    </>
  );
}

function Register({ code, relation: suggested }: { code: string; relation: string | null }) {
  const { t } = useT();
  const { api, session } = useServices();
  const { route } = useLocation();
  const [form, setForm] = useState({ displayName: "", username: "", password: "", relation: suggested ?? "" });
  const [byCode, setByCode] = useState<PhoneCodeValue>({ phone: "", code: "" });
  // Where this server sends SMS, a new member joins with their mobile number and a code; else with a password.
  const channels = useLoad((signal) => api.get<ChannelsView>("/channels", { signal }), []);
  const [withPassword, setWithPassword] = useState(false);
  const byPhone = Boolean(channels.data?.sms) && !withPassword;
  const field = (name: keyof typeof form) => ({
    name,
    value: form[name],
    onInput: (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [name]: e.currentTarget.value }),
  });
  const register = useAction(async () => {
    const relation = form.relation.trim() || undefined;
    const reply = byPhone
      ? await api.request<RegisterReply>("POST", "/auth/phone/register", {
          body: { ...byCode, displayName: form.displayName, relation, inviteCode: code },
        })
      : await api.request<RegisterReply>("POST", "/auth/register", {
          body: { ...form, username: form.username.trim(), relation, inviteCode: code },
        });
    session.set(reply);
    route("/family", true);
  });
  return (
    <>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void register.run();
        }}
      >
        <h2>{t("join.createAccount")}</h2>
        <label>
          {t("join.displayName")}
          <input
            {...field("displayName")}
            autocomplete="name"
            required
            maxLength={40}
            placeholder={t("join.displayNameHint")}
          />
        </label>
        <label>
          {t("join.relation")}
          <input {...field("relation")} maxLength={20} placeholder={t("join.relationHint")} />
        </label>
        {byPhone ? <PhoneCodeFields purpose="sign-up" value={byCode} onChange={setByCode} /> : null}
        {byPhone ? null : (
          <PasswordAccountFields
            field={field}
            password={form.password}
            setPassword={(password) => setForm({ ...form, password })}
          />
        )}
        <ErrorText error={register.error} />
        <button class="primary" type="submit" disabled={register.busy}>
          {register.busy ? t("common.wait") : t("join.registerAndJoin")}
        </button>
      </form>
      {channels.data?.sms ? (
        <p class="muted">
          <button type="button" class="link" name="join-mode" onClick={() => setWithPassword(!withPassword)}>
            {withPassword ? t("phone.joinByCode") : t("phone.joinByPassword")}
          </button>
        </p>
      ) : null}
      <p class="muted">
        {t("join.haveAccount")} <a href={`/login?next=${encodeURIComponent(`/join/${code}`)}`}>{t("auth.signIn")}</a>
      </p>
    </>
  );
}

type FieldProps = {
  name: string;
  value: string;
  onInput(e: { currentTarget: HTMLInputElement }): void;
};

/** A username and a password: how someone without a phone (or where no SMS is sent) joins. */
function PasswordAccountFields({
  field,
  password,
  setPassword,
}: {
  field: (name: "username") => FieldProps;
  password: string;
  setPassword: (password: string) => void;
}) {
  const { t } = useT();
  return (
    <>
      <label>
        {t("auth.username")}
        <input
          {...field("username")}
          autocomplete="username"
          autocapitalize="none"
          required
          minLength={3}
          maxLength={32}
        />
      </label>
      <PasswordInput
        name="password"
        label={t("auth.password")}
        value={password}
        onInput={setPassword}
        rule={familyPasswordRule}
      />
    </>
  );
}
