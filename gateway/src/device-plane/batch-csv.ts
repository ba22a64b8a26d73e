// Reads a delivery's CSV of serials: one box per line, serial first, optionally its claim code second.
// Spreadsheets add a header line, a byte-order mark, quotes and blank lines; all are tolerated.
import { claimCode as claimCodeSchema, serial as serialSchema } from "../../../protocol/http.ts";

export type CsvRow =
  { line: number; serial: string; claimCode?: string } | { line: number; serial: string; malformed: string };

const headerCell = /^(serial|sn|序列号|设备序列号|编号)$/i;

function cells(text: string): string[] {
  return text.split(/[,;\t]/).map((cell) =>
    cell
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .trim(),
  );
}

function readRow(line: number, text: string): CsvRow {
  const [rawSerial = "", rawCode = ""] = cells(text);
  const serial = serialSchema.safeParse(rawSerial);
  if (!serial.success)
    return { line, serial: rawSerial, malformed: `"${rawSerial}" is not a serial (like WX-2026-A1B2C3)` };
  if (!rawCode) return { line, serial: serial.data };
  const code = claimCodeSchema.safeParse(rawCode);
  if (!code.success)
    return { line, serial: serial.data, malformed: `"${rawCode}" is not a claim code (8 letters or digits)` };
  return { line, serial: serial.data, claimCode: code.data };
}

/** Rows by 1-based file line; blank lines and a header line are skipped but keep the numbering. */
export function parseSerialCsv(csv: string): CsvRow[] {
  const rows: CsvRow[] = [];
  csv
    .replace(/^\uFEFF/, "")
    .split(/\r\n|\n|\r/)
    .forEach((text, index) => {
      if (!text.trim()) return;
      if (index === 0 && headerCell.test(cells(text)[0] ?? "")) return;
      rows.push(readRow(index + 1, text));
    });
  return rows;
}
