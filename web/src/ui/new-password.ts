// The rule a new password is checked against while it is typed: the server's own (protocol/password-rules.ts).
// Only the screens that choose a password import this, so the sign-in screen's download stays small.
import { MIN_PASSWORD_LENGTH, weakPasswordReason } from "../../../protocol/password-rules.ts";
import type { PasswordRule } from "./PasswordInput.tsx";

export const familyPasswordRule: PasswordRule = {
  minLength: MIN_PASSWORD_LENGTH.family,
  weakReason: weakPasswordReason,
};
export const workPasswordRule: PasswordRule = { minLength: MIN_PASSWORD_LENGTH.work, weakReason: weakPasswordReason };
export const passwordRuleFor = (role: string | undefined): PasswordRule =>
  role === "family" ? familyPasswordRule : workPasswordRule;
