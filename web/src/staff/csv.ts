// CSV of the device list for the county's spreadsheets. The BOM makes Excel read the Chinese as UTF-8.
import type { DeviceView } from "../types.ts";

const columns: (keyof DeviceView)[] = [
  "serial",
  "village",
  "elderName",
  "label",
  "connection",
  "lastSeenAt",
  "offlineSince",
  "privacy",
  "firmware",
  "rssi",
  "temperatureC",
  "freeStorageMb",
  "claimState",
  "id",
];

function cell(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  // Quote everything that could break a row, and defuse spreadsheet formulas (=, +, -, @ at the start).
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function devicesToCsv(devices: DeviceView[]): string {
  const rows = [columns.join(","), ...devices.map((d) => columns.map((c) => cell(d[c])).join(","))];
  return `\uFEFF${rows.join("\r\n")}\r\n`;
}

export function download(filename: string, content: string | Blob, type = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(typeof content === "string" ? new Blob([content], { type }) : content);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
