// Times and durations in the reader's language, with the platform's Intl (no date library in the bundle).
export function timeAgo(iso: string | null, lang: string, now = Date.now()): string | null {
  if (!iso) return null;
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(Math.round(seconds / 10) * 10 || 0, "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86_400), "day");
}

/** "2 h 05 min" / "2 小时 5 分钟": how long something has lasted. */
export function duration(fromIso: string | null, lang: string, now = Date.now()): string {
  if (!fromIso) return "—";
  const minutes = Math.max(0, Math.floor((now - new Date(fromIso).getTime()) / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const zh = lang.startsWith("zh");
  const parts: string[] = [];
  if (days) parts.push(zh ? `${days} 天` : `${days} d`);
  if (hours) parts.push(zh ? `${hours} 小时` : `${hours} h`);
  if (!days) parts.push(zh ? `${mins} 分钟` : `${mins} min`);
  return parts.join(" ");
}

export function dateTime(iso: string | null, lang: string): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(lang, {
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).format(new Date(iso));
}

export function percent(fraction: number | null): string {
  return fraction === null ? "—" : `${(fraction * 100).toFixed(fraction >= 0.999 || fraction === 0 ? 0 : 1)}%`;
}

/** "11/24 08:30": when something was said, to the minute. */
export function dayTime(iso: string | null, lang: string): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(lang, { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(
    new Date(iso),
  );
}

/**
 * A Wi-Fi signal in words: good, fair or weak. Weak is below −70 dBm, where the on-site check advises moving
 * the router (gateway/src/site-check/verdict.ts).
 */
export function signalWord(rssiDbm: number): "good" | "fair" | "weak" {
  return rssiDbm >= -60 ? "good" : rssiDbm >= -70 ? "fair" : "weak";
}
