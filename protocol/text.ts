// One rule for every text that crosses a process boundary: no NUL characters. PostgreSQL cannot store them in text
// columns (the insert fails, and with it a whole batch of other cameras' heartbeats), and no name, code or version needs one.

/** True if any string in this JSON-like value (keys included) contains U+0000. Walks without recursion: payloads may nest deeply. */
export function containsNulCharacter(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === "string") {
      if (item.includes("\u0000")) return true;
    } else if (Array.isArray(item)) {
      for (const element of item) pending.push(element);
    } else if (item !== null && typeof item === "object") {
      for (const [key, element] of Object.entries(item)) {
        if (key.includes("\u0000")) return true;
        pending.push(element);
      }
    }
  }
  return false;
}
