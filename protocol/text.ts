// One rule for every text that crosses a process boundary: it must be storable as text. No NUL characters:
// PostgreSQL cannot store them in text columns (the insert fails, and with it a whole batch of other cameras'
// heartbeats), and no name, code or version needs one. No unpaired UTF-16 surrogates (JSON's "\ud800" alone):
// they are not Unicode, Prisma's query engine fails on them ("unexpected end of hex escape", a 500 found by
// fuzzing the sign-in), and UTF-8 cannot carry them.

export type TextFault = "nul-character" | "unpaired-surrogate";

const unpairedSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function faultOf(text: string): TextFault | null {
  if (text.includes("\u0000")) return "nul-character";
  return unpairedSurrogate.test(text) ? "unpaired-surrogate" : null;
}

/**
 * Why some string in this JSON-like value (keys included) cannot be stored as text, or null when every one can.
 * Walks without recursion: payloads may nest deeply.
 */
export function unstorableText(value: unknown): TextFault | null {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === "string") {
      const fault = faultOf(item);
      if (fault) return fault;
    } else if (Array.isArray(item)) {
      for (const element of item) pending.push(element);
    } else if (item !== null && typeof item === "object") {
      for (const [key, element] of Object.entries(item)) {
        const fault = faultOf(key);
        if (fault) return fault;
        pending.push(element);
      }
    }
  }
  return null;
}

export const textFaultMessages: Record<TextFault, string> = {
  "nul-character": "text may not contain NUL (U+0000) characters",
  "unpaired-surrogate": "text must be well-formed Unicode: an unpaired surrogate (U+D800–U+DFFF) is not a character",
};
