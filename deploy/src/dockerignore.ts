// .dockerignore as Docker reads it: one pattern a line (Go filepath.Match plus `**`), `!` re-includes,
// the last matching line wins, and a pattern that matches a directory excludes everything below it.

interface Rule {
  regex: RegExp;
  include: boolean;
}

function patternToRegex(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      // `**/` matches any number of directories, including none
      out += pattern[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += pattern[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

function clean(path: string): string {
  return path
    .replace(/^\.?\/+/, "")
    .replace(/\/+$/, "")
    .replace(/\/+/g, "/");
}

export function parseDockerignore(text: string): Rule[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const include = l.startsWith("!");
      return { include, regex: patternToRegex(clean(include ? l.slice(1).trim() : l)) };
    });
}

/** `path` is relative to the build context, with / separators. */
export function isIgnored(rules: Rule[], path: string): boolean {
  const parts = clean(path).split("/");
  let ignored = false;
  for (const rule of rules) {
    // A rule applies to the path itself or to any directory above it.
    const hits = parts.some((_, i) => rule.regex.test(parts.slice(0, i + 1).join("/")));
    if (hits) ignored = !rule.include;
  }
  return ignored;
}
