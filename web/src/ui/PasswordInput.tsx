// A password field with 显示/隐藏 (people on a phone keyboard want to see what they typed) and, for a new
// password, the server's own rule checked as they type (protocol/password-rules.ts), in plain words.
import { useState } from "preact/hooks";
import type { WeakPasswordReason } from "../../../protocol/password-rules.ts";
import { useT } from "../context.ts";

/** The rule for a new password: the screens choosing one pass protocol/password-rules.ts (the sign-in screen,
 *  in the first download, needs none of it). */
export interface PasswordRule {
  minLength: number;
  weakReason(password: string, minLength: number): WeakPasswordReason | null;
}

export function PasswordInput({
  name,
  label,
  value,
  onInput,
  rule,
}: {
  name: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  /** A password being chosen: autocomplete says so, and weak ones are named before they are sent. */
  rule?: PasswordRule;
}) {
  const { t } = useT();
  const [shown, setShown] = useState(false);
  const isNew = rule !== undefined;
  const min = rule?.minLength ?? 0;
  const weak = rule && value !== "" ? rule.weakReason(value, min) : null;
  return (
    <label>
      {label}
      <span class="password-field">
        <input
          name={name}
          type={(shown ? "text" : "password") as "text"}
          autocomplete={isNew ? "new-password" : "current-password"}
          autocapitalize="none"
          spellcheck={false}
          required
          minLength={isNew ? min : undefined}
          value={value}
          aria-invalid={weak ? true : undefined}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
        <button
          type="button"
          class="small"
          name={`${name}-show`}
          aria-pressed={shown}
          aria-label={shown ? t("auth.hidePassword") : t("auth.showPassword")}
          onClick={() => setShown(!shown)}
        >
          {shown ? t("auth.hide") : t("auth.show")}
        </button>
      </span>
      {isNew ? (
        <small class={weak ? "error" : "muted"} data-testid={`${name}-rule`}>
          {weak ? t(`password.weak.${weak}`, { min }) : t("password.rule", { min })}
        </small>
      ) : null}
    </label>
  );
}
