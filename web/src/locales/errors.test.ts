// Errors are translated by code: every code the server can answer with has words in both languages, so no
// screen falls back to the server's English message (ErrorText says something general for a code it lacks).
import { describe, expect, it } from "vitest";
import { errorCodes } from "../../../protocol/errors.ts";
import { householdBody } from "../../../protocol/http.ts";
import { formProblems } from "../form-problems.ts";
import { en } from "./en.ts";
import { zhCN } from "./zh-CN.ts";

describe("error words", () => {
  it("has Chinese and English for every code in the catalogue", () => {
    const missing = (errors: Record<string, string>) => errorCodes.filter((code) => !errors[code]);
    expect(missing(zhCN.errors)).toEqual([]);
    expect(missing(en.errors)).toEqual([]);
    expect(zhCN.errors.unknown).toMatch(/[\u4e00-\u9fff]/);
  });

  it("says a form's problems in the reader's language, by field and kind, not in the schema's English", () => {
    const strings = { household: zhCN.household, formProblem: zhCN.formProblem } as Record<
      string,
      Record<string, string>
    >;
    const t = (key: string, options?: { defaultValue?: string }) => {
      const [section, name] = key.split(".") as [string, string];
      return strings[section]?.[name] ?? options?.defaultValue ?? key;
    };
    const parsed = householdBody.safeParse({ village: "", elderName: "王秀英", contactPhone: "abc" });
    expect(parsed.success).toBe(false);
    const said = formProblems(parsed.error!.issues, t, "household");
    expect(said).toBe("村：必须填写；联系电话：请只写数字，例如 13812345678");
  });
});
