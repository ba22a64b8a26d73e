// Which passwords are refused: too short, one character over and over, a run (12345678, abcdefgh, 87654321), a
// short unit repeated (12121212, abcabcabc), or one of the passwords people in China and everywhere pick first.
// Plain functions, no zod: the join and account screens check as the user types, with the server's own rule.

/** Family members' passwords: eight or more. Staff and installers reach into many homes: twelve or more. */
export const MIN_PASSWORD_LENGTH = { family: 8, work: 12 } as const;

export type WeakPasswordReason = "too-short" | "one-character" | "sequence" | "repeated" | "common";

/** Lower-cased; compared after removing spaces. Runs and repeats are caught by rule, not listed here. */
const COMMON_PASSWORDS = new Set([
  "password",
  "password1",
  "password123",
  "passw0rd",
  "iloveyou",
  "woaini1314",
  "woaini520",
  "5201314520",
  "52013145",
  "qwertyui",
  "qwertyuiop",
  "qwerty123",
  "1qaz2wsx",
  "1q2w3e4r",
  "1q2w3e4r5t",
  "qazwsxedc",
  "zxcvbnm123",
  "asdfghjkl",
  "abc12345",
  "abcd1234",
  "a1234567",
  "a12345678",
  "aa123456",
  "admin123",
  "admin888",
  "123456789a",
  "12345678a",
  "147258369",
  "147852369",
  "123698745",
  "159753123",
  "11223344",
  "00000000a",
  "wangxiang",
  "wangxiang123",
  "wangxiang-demo",
]);

/** Why this password is refused, or null when it may be used. `minLength` depends on the account (above). */
export function weakPasswordReason(
  password: string,
  minLength: number = MIN_PASSWORD_LENGTH.family,
): WeakPasswordReason | null {
  if ([...password].length < minLength) return "too-short";
  const plain = password.replace(/\s/g, "").toLowerCase();
  const chars = [...plain];
  if (chars.every((c) => c === chars[0])) return "one-character";
  if (isRun(chars)) return "sequence";
  if (isRepeatedUnit(chars)) return "repeated";
  if (COMMON_PASSWORDS.has(plain)) return "common";
  return null;
}

/** Each character one after (or one before) the last: 12345678, 98765432, abcdefgh. */
function isRun(chars: string[]): boolean {
  const step = chars[1]!.codePointAt(0)! - chars[0]!.codePointAt(0)!;
  if (step !== 1 && step !== -1) return false;
  return chars.every((c, i) => i === 0 || c.codePointAt(0)! - chars[i - 1]!.codePointAt(0)! === step);
}

/** A unit of up to four characters written again and again: 12121212, abcabcabc, 52015201. */
function isRepeatedUnit(chars: string[]): boolean {
  for (let unit = 2; unit <= 4; unit++) {
    if (chars.length < unit * 2) break;
    if (chars.every((c, i) => c === chars[i % unit])) return true;
  }
  return false;
}
