// 手机号 + 验证码: the number, a button that sends the code (then counts down to the next one), and the code.
// Used by the sign-in screen and by one's account (adding a number).
import { useEffect, useState } from "preact/hooks";
import type { z } from "zod";
import type { CodePurpose, requestCodeReply } from "../../protocol/phone.ts";
import { toE164 } from "../../protocol/phone-number.ts";
import { useServices, useT } from "./context.ts";
import { useAction } from "./hooks.ts";
import { ErrorText } from "./ui/Layout.tsx";

export interface PhoneCodeValue {
  phone: string;
  code: string;
}

export function PhoneCodeFields({
  purpose,
  value,
  onChange,
}: {
  purpose: CodePurpose;
  value: PhoneCodeValue;
  onChange(value: PhoneCodeValue): void;
}) {
  const { t } = useT();
  const { api } = useServices();
  const [waitS, setWaitS] = useState(0);
  const [sent, setSent] = useState(false);
  useEffect(() => {
    if (waitS <= 0) return;
    const timer = setTimeout(() => setWaitS((s) => s - 1), 1000);
    return () => clearTimeout(timer);
  }, [waitS]);
  const valid = toE164(value.phone) !== null;
  const send = useAction(async () => {
    const reply = await api.request<z.infer<typeof requestCodeReply>>("POST", "/auth/phone/code", {
      body: { phone: value.phone, purpose },
    });
    setSent(true);
    setWaitS(reply.resendAfterS);
  });
  return (
    <>
      <label>
        {t("phone.number")}
        <input
          name="phone"
          type="tel"
          inputMode="numeric"
          autocomplete="tel-national"
          placeholder="138 1234 5678"
          required
          value={value.phone}
          onInput={(e) => onChange({ ...value, phone: e.currentTarget.value })}
        />
      </label>
      <div class="row">
        <label class="grow">
          {t("phone.code")}
          <input
            name="code"
            inputMode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            value={value.code}
            onInput={(e) => onChange({ ...value, code: e.currentTarget.value.replace(/\D/g, "") })}
          />
        </label>
        <button
          type="button"
          name="send-code"
          disabled={!valid || send.busy || waitS > 0}
          onClick={() => void send.run()}
        >
          {waitS > 0 ? t("phone.resendIn", { s: waitS }) : sent ? t("phone.resend") : t("phone.send")}
        </button>
      </div>
      {sent && !send.error ? (
        <p class="muted" role="status">
          {t("phone.sent")}
        </p>
      ) : null}
      <ErrorText error={send.error} />
    </>
  );
}
