// CSV of the device list for the county's spreadsheets. The BOM makes Excel read the Chinese as UTF-8.
import type { DeviceView } from "../types.ts";

type Translate = (key: string, options?: Record<string, unknown>) => string;

/** The columns in the county's language: each a header key and how a camera's value reads in a cell. */
const columns: { header: string; value: (d: DeviceView, t: Translate, lang: string) => unknown }[] = [
  { header: "serial", value: (d) => d.serial },
  { header: "village", value: (d) => d.village },
  { header: "elderName", value: (d) => d.elderName },
  { header: "label", value: (d) => d.label },
  {
    header: "connection",
    value: (d, t) => t(d.connection === "unknown" ? "staff.neverOnline" : `state.${d.connection}`),
  },
  { header: "lastSeenAt", value: (d, _t, lang) => localTime(d.lastSeenAt, lang) },
  { header: "offlineSince", value: (d, _t, lang) => localTime(d.offlineSince, lang) },
  { header: "privacy", value: (d, t) => t(d.privacy ? "staff.csv.yes" : "staff.csv.no") },
  { header: "firmware", value: (d) => d.firmware },
  { header: "rssi", value: (d) => d.rssi },
  { header: "temperatureC", value: (d) => d.temperatureC },
  { header: "freeStorageMb", value: (d) => d.freeStorageMb },
  { header: "claimState", value: (d, t) => t(`staff.csv.claim.${d.claimState}`) },
  { header: "id", value: (d) => d.id },
];

/** "2026-12-04 09:30:00" in the reader's time zone: what a spreadsheet reads as a date and time. */
function localTime(iso: string | null, lang: string): string {
  if (!iso) return "";
  const parts = new Intl.DateTimeFormat(lang.startsWith("zh") ? "zh-CN" : "en-GB", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(iso));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")}`;
}

function cell(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  // Quote everything that could break a row, and defuse spreadsheet formulas (=, +, -, @ at the start) that
  // are not plain numbers (a signal of -58 stays a number).
  const formula = /^[=+\-@]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text);
  const safe = formula ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** UTF-8 with a byte-order mark, so that Excel on Windows opens the Chinese as Chinese. */
export function devicesToCsv(devices: DeviceView[], t: Translate, lang: string): string {
  const header = columns.map((c) => cell(t(`staff.csv.${c.header}`))).join(",");
  const rows = devices.map((d) => columns.map((c) => cell(c.value(d, t, lang))).join(","));
  return `\uFEFF${[header, ...rows].join("\r\n")}\r\n`;
}

export function download(filename: string, content: string | Blob, type = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(typeof content === "string" ? new Blob([content], { type }) : content);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
