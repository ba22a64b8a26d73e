// The shared schemas' complaints about a form, said in the reader's language. Their own messages are English
// (they serve the API's error replies too), so a form names the field and the kind of problem by code instead.
type Translate = (key: string, options?: { defaultValue?: string }) => string;

/** The little of a zod issue read here (zod itself stays out of this module's imports). */
interface Issue {
  code: string;
  path: PropertyKey[];
  /** A union's failure carries each branch's own issues; the first branch is the form's own shape. */
  errors?: Issue[][];
}

const kinds: Record<string, string> = {
  too_small: "required",
  too_big: "tooLong",
  invalid_format: "format",
  invalid_string: "format",
};

function flatten(issues: Issue[]): Issue[] {
  return issues.flatMap((issue) =>
    issue.code === "invalid_union" && issue.errors?.[0] ? flatten(issue.errors[0]) : [issue],
  );
}

/** "联系电话：请只写数字，例如 13812345678": one line per field, `fields` naming the form's label keys. */
export function formProblems(issues: Issue[], t: Translate, fields: string): string {
  const lines = flatten(issues).map((issue) => {
    const field = String(issue.path[0] ?? "");
    const kind = kinds[issue.code] ?? "format";
    const specific = `formProblem.${field}`;
    const reason = kind === "format" && t(specific, { defaultValue: "" }) ? t(specific) : t(`formProblem.${kind}`);
    return `${t(`${fields}.${field}`, { defaultValue: t("formProblem.field") })}：${reason}`;
  });
  return [...new Set(lines)].join("；");
}
