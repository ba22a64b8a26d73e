import { describe, expect, it } from "vitest";
import { pageTotal } from "./pagination.ts";

describe("pageTotal", () => {
  // 120 rows paged by 50: the pages a client sees, and whether the total needed a count.
  const rowsInList = 120;
  const totalFor = async (offset: number, limit: number) => {
    let counted = false;
    const returned = Math.max(0, Math.min(limit, rowsInList - offset));
    const total = await pageTotal(offset, limit, returned, async () => {
      counted = true;
      return rowsInList;
    });
    return { total, counted };
  };

  it("knows the total of a short last page without counting, and counts for full pages and pages past the end", async () => {
    expect(await totalFor(0, 50)).toEqual({ total: 120, counted: true });
    expect(await totalFor(50, 50)).toEqual({ total: 120, counted: true });
    expect(await totalFor(100, 50)).toEqual({ total: 120, counted: false });
    expect(await totalFor(0, 500)).toEqual({ total: 120, counted: false });
    expect(await totalFor(200, 50)).toEqual({ total: 120, counted: true });
    expect(await totalFor(100, 20)).toEqual({ total: 120, counted: true }); // exactly full: more may follow
  });

  it("an empty list is known empty from its first page", async () => {
    expect(await pageTotal(0, 50, 0, async () => Promise.reject(new Error("not needed")))).toBe(0);
  });
});
