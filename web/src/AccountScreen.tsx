// One's own account: its mobile number (added with a code sent to it), the password (changing it ends every
// other sign-in of the account), and the phones and browsers signed in to it (each can be signed out).
import { useState } from "preact/hooks";
import type { z } from "zod";
import type { ChannelsView, myPhoneView } from "../../protocol/phone.ts";
import { maskPhone } from "../../protocol/phone-number.ts";
import { useServices, useT } from "./context.ts";
import { useAction, useLoad } from "./hooks.ts";
import { PhoneCodeFields } from "./PhoneCode.tsx";
import { homeOf } from "./session.ts";
import { ErrorText, Layout } from "./ui/Layout.tsx";
import { PasswordInput } from "./ui/PasswordInput.tsx";
import { passwordRuleFor } from "./ui/new-password.ts";
import { SessionsCard } from "./ui/Sessions.tsx";
import { useAccountStrings } from "./locales/account.ts";

export function AccountScreen() {
  useAccountStrings();
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
      <PhoneCard />
      <form
        class="card stack"
        onSubmit={(e) => {
          e.preventDefault();
          void change.run();
        }}
      >
        <h2>{t("account.changePassword")}</h2>
        <PasswordInput
          name="currentPassword"
          label={t("account.currentPassword")}
          value={currentPassword}
          onInput={setCurrent}
        />
        <PasswordInput
          name="newPassword"
          label={t("account.newPassword")}
          value={newPassword}
          onInput={setNew}
          rule={passwordRuleFor(session.current()?.user.role)}
        />
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
      <SessionsCard />
    </Layout>
  );
}

/** The number, and how messages reach this person: said plainly, including when this server has no SMS. */
function PhoneCard() {
  const { t } = useT();
  const { api } = useServices();
  const mine = useLoad((signal) => api.get<z.infer<typeof myPhoneView>>("/auth/phone", { signal }), []);
  const channels = useLoad((signal) => api.get<ChannelsView>("/channels", { signal }), []);
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState({ phone: "", code: "" });
  const verify = useAction(async () => {
    await api.request("POST", "/auth/phone/verify", { body: value });
    setEditing(false);
    setValue({ phone: "", code: "" });
    mine.reload();
  });
  const phone = mine.data?.verifiedAt ? mine.data.phone : null;
  const sms = channels.data?.sms ?? null;
  return (
    <section class="card stack" data-testid="my-phone">
      <h2>{t("phone.title")}</h2>
      <p>{phone ? t("phone.current", { phone: maskPhone(phone) }) : t("phone.none")}</p>
      {channels.data ? <p class="muted">{sms ? t("phone.smsOn") : t("phone.noSms")}</p> : null}
      {sms && !editing ? (
        <button type="button" name="add-phone" onClick={() => setEditing(true)}>
          {phone ? t("phone.change") : t("phone.add")}
        </button>
      ) : null}
      {sms && editing ? (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void verify.run();
          }}
        >
          <PhoneCodeFields purpose="verify" value={value} onChange={setValue} />
          <ErrorText error={verify.error} />
          <button class="primary" type="submit" disabled={verify.busy}>
            {verify.busy ? t("common.wait") : t("phone.verify")}
          </button>
        </form>
      ) : null}
    </section>
  );
}
