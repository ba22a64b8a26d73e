// Mainland China mobile numbers as people type them (spaces, dashes, a leading +86 or 0086) and as they are kept
// (E.164). Plain functions, no zod: the web app's sign-in screen uses them and must stay small on 4G.

/** 13x, 14[5-9], 15[0-35-9], 16[2567], 17[0-8], 18x, 19[0-35-9]: the blocks assigned to mobile service. */
const MAINLAND_MOBILE = /^1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])\d{8}$/;

/** The E.164 form of a mainland mobile number, or null when it is not one. */
export function toE164(typed: string): string | null {
  const digits = typed.replace(/[\s()-]/g, "");
  const national = digits.replace(/^(?:\+86|0086|86(?=1\d{10}$))/, "");
  return MAINLAND_MOBILE.test(national) ? `+86${national}` : null;
}

/** 138****1234: what staff screens show instead of the number. */
export function maskPhone(e164: string): string {
  const national = e164.replace(/^\+86/, "");
  return `${national.slice(0, 3)}****${national.slice(-4)}`;
}
