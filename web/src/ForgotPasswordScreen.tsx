// 忘记密码: a code sent to the account's own mobile number sets a new password, and signs this phone in. Where the
// server sends no SMS, or the account has no number, the screen says who can help instead (the installer, the
// county service centre: staff set a new password on the accounts screen).
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import type { z } from "zod";
import type { loginReply } from "../../protocol/http.ts";
import type { ChannelsView } from "../../protocol/phone.ts";
import { useServices, useT } from "./context.ts";
import { useAction, useLoad } from "./hooks.ts";
import { PhoneCodeFields, type PhoneCodeValue } from "./PhoneCode.tsx";
import { homeOf } from "./session.ts";
import { ErrorText, Layout, Loading } from "./ui/Layout.tsx";
import { PasswordInput } from "./ui/PasswordInput.tsx";
import { familyPasswordRule } from "./ui/new-password.ts";
import { useAccountStrings } from "./locales/account.ts";

export function ForgotPasswordScreen() {
  useAccountStrings();
  const { t } = useT();
  const { api, session } = useServices();
  const { route } = useLocation();
  const channels = useLoad((signal) => api.get<ChannelsView>("/channels", { signal }), []);
  const [byCode, setByCode] = useState<PhoneCodeValue>({ phone: "", code: "" });
  const [newPassword, setNewPassword] = useState("");
  const reset = useAction(async () => {
    const reply = await api.request<z.infer<typeof loginReply>>("POST", "/auth/password/reset", {
      body: { ...byCode, newPassword },
    });
    session.set(reply);
    route(homeOf(reply), true);
  });
  return (
    <Layout title={t("forgot.title")} back="/login">
      {!channels.data ? (
        <Loading />
      ) : !channels.data.sms ? (
        <p class="lead" data-testid="forgot-no-sms">
          {t("forgot.noSms")}
        </p>
      ) : (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void reset.run();
          }}
        >
          <p class="lead">{t("forgot.intro")}</p>
          <PhoneCodeFields purpose="reset-password" value={byCode} onChange={setByCode} />
          <PasswordInput
            name="newPassword"
            label={t("account.newPassword")}
            value={newPassword}
            onInput={setNewPassword}
            rule={familyPasswordRule}
          />
          <ErrorText error={reset.error} />
          <button class="primary" type="submit" disabled={reset.busy}>
            {reset.busy ? t("common.wait") : t("forgot.submit")}
          </button>
          <p class="muted">{t("forgot.noPhone")}</p>
        </form>
      )}
    </Layout>
  );
}
