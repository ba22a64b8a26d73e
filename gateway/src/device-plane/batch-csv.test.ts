import { describe, expect, it } from "vitest";
import { parseSerialCsv } from "./batch-csv.ts";

describe("parseSerialCsv", () => {
  it("keeps file line numbers across a BOM, a header, blank lines, CRLF and quotes", () => {
    const rows = parseSerialCsv('\uFEFFserial,claim code\r\nwx-2026-aaaaa1\r\n\r\n"WX-2026-AAAAA2","K7P2-9QXM"\r\n');
    expect(rows).toEqual([
      { line: 2, serial: "WX-2026-AAAAA1" },
      { line: 4, serial: "WX-2026-AAAAA2", claimCode: "K7P29QXM" },
    ]);
  });

  it("reports a bad serial or a bad claim code as malformed, on its line", () => {
    const rows = parseSerialCsv("WX-2026-AAAAA1\nnot a serial\nWX-2026-AAAAA3;12\n");
    expect(rows[0]).toEqual({ line: 1, serial: "WX-2026-AAAAA1" });
    expect(rows[1]).toMatchObject({
      line: 2,
      serial: "not a serial",
      malformed: expect.stringContaining("not a serial"),
    });
    expect(rows[2]).toMatchObject({
      line: 3,
      serial: "WX-2026-AAAAA3",
      malformed: expect.stringContaining("claim code"),
    });
  });

  it("reads a header-less first line as a serial", () => {
    expect(parseSerialCsv("WX-2026-AAAAA1")).toEqual([{ line: 1, serial: "WX-2026-AAAAA1" }]);
  });
});
