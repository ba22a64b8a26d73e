// Reads a Dockerfile into stages of instructions, for the replay (docker-replay.ts). Only the instructions
// our Dockerfile uses are understood; anything else is an error naming the line, so that a new instruction
// cannot slip past CI unreplayed.

export type Instruction =
  | { kind: "WORKDIR"; line: number; path: string }
  | { kind: "COPY"; line: number; from?: string; chown?: string; sources: string[]; dest: string }
  | { kind: "ENV"; line: number; vars: [string, string][] }
  | { kind: "RUN"; line: number; command: string[]; shell: boolean }
  | { kind: "USER"; line: number; user: string }
  | { kind: "CMD"; line: number; command: string[]; shell: boolean }
  | { kind: "EXPOSE"; line: number; ports: string[] };

export interface Stage {
  index: number;
  name: string;
  image: string;
  instructions: Instruction[];
}

export class DockerfileError extends Error {
  constructor(line: number, message: string) {
    super(`Dockerfile line ${line}: ${message}`);
  }
}

/** Joins continuation lines and drops comments: [line number of the instruction's start, text]. */
export function logicalLines(text: string): [number, string][] {
  const out: [number, string][] = [];
  let current = "";
  let start = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (!current && (/^\s*#/.test(line) || !line.trim())) return;
    if (current && /^\s*#/.test(line)) return; // comments inside a continued instruction are dropped, as Docker does
    if (!current) start = i + 1;
    if (line.endsWith("\\")) {
      current += line.slice(0, -1) + " ";
      return;
    }
    out.push([start, (current + line).trim()]);
    current = "";
  });
  if (current) out.push([start, current.trim()]);
  return out;
}

/** Splits on blanks, honouring double and single quotes. */
function words(text: string): string[] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

function commandForm(line: number, rest: string): { command: string[]; shell: boolean } {
  if (!rest.startsWith("[")) return { command: [rest], shell: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    throw new DockerfileError(line, `exec form is not a JSON array of strings: ${rest}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((p) => typeof p === "string")) {
    throw new DockerfileError(line, `exec form must be a non-empty JSON array of strings: ${rest}`);
  }
  return { command: parsed, shell: false };
}

function unquote(value: string): string {
  if (value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1).replace(/\\(.)/g, "$1");
  if (value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  return value;
}

function parseEnv(line: number, rest: string): [string, string][] {
  const first = /^(\S+)/.exec(rest)![1]!;
  // Legacy form: ENV NAME value with spaces
  if (!first.includes("=")) return [[first, rest.slice(first.length).trim()]];
  const pairs = [...rest.matchAll(/(\S+?)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)];
  if (
    pairs.map((m) => m[0]).join(" ") !== rest.trim().replace(/\s+/g, " ") &&
    !rest.includes('"') &&
    !rest.includes("'")
  ) {
    throw new DockerfileError(line, `ENV expects NAME=value pairs, got "${rest}"`);
  }
  return pairs.map((m) => [m[1]!, unquote(m[2]!)] as [string, string]);
}

function parseCopy(line: number, rest: string): Instruction {
  const parts = words(rest);
  let from: string | undefined;
  let chown: string | undefined;
  while (parts[0]?.startsWith("--")) {
    const flag = parts.shift()!;
    const [name, value] = [
      flag.slice(2, flag.indexOf("=") < 0 ? undefined : flag.indexOf("=")),
      flag.slice(flag.indexOf("=") + 1),
    ];
    if (name === "from") from = value;
    else if (name === "chown") chown = value;
    else throw new DockerfileError(line, `COPY flag ${flag} is not supported by the replay`);
  }
  if (parts.length < 2) throw new DockerfileError(line, "COPY needs at least one source and a destination");
  const dest = parts.pop()!;
  if (parts.some((s) => /[*?[]/.test(s)))
    throw new DockerfileError(line, "COPY with wildcards is not supported by the replay");
  if (parts.length > 1 && !dest.endsWith("/"))
    throw new DockerfileError(line, "COPY with several sources needs a destination ending in /");
  return { kind: "COPY", line, from, chown, sources: parts, dest };
}

function parseInstruction(line: number, keyword: string, rest: string): Instruction {
  switch (keyword) {
    case "WORKDIR":
      return { kind: "WORKDIR", line, path: rest };
    case "COPY":
      return parseCopy(line, rest);
    case "ENV":
      return { kind: "ENV", line, vars: parseEnv(line, rest) };
    case "RUN":
      if (rest.startsWith("--"))
        throw new DockerfileError(line, `RUN ${rest.split(/\s/)[0]} is not supported by the replay`);
      return { kind: "RUN", line, ...commandForm(line, rest) };
    case "CMD":
      return { kind: "CMD", line, ...commandForm(line, rest) };
    case "USER":
      return { kind: "USER", line, user: rest };
    case "EXPOSE":
      return { kind: "EXPOSE", line, ports: words(rest) };
    default:
      throw new DockerfileError(
        line,
        `instruction ${keyword} is not supported by the replay (scripts/docker-replay.ts)`,
      );
  }
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const [line, content] of logicalLines(text)) {
    const match = /^(\S+)\s*(.*)$/.exec(content)!;
    const keyword = match[1]!.toUpperCase();
    const rest = match[2]!.trim();
    if (keyword === "FROM") {
      const [image, as, name, ...extra] = words(rest);
      if (!image || (as && (as.toUpperCase() !== "AS" || !name)) || extra.length)
        throw new DockerfileError(line, `FROM expects "image [AS name]", got "${rest}"`);
      stages.push({ index: stages.length, name: name ?? String(stages.length), image, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new DockerfileError(line, `${keyword} before the first FROM`);
    if (!rest) throw new DockerfileError(line, `${keyword} without arguments`);
    stage.instructions.push(parseInstruction(line, keyword, rest));
  }
  if (stages.length === 0) throw new DockerfileError(1, "no FROM: not a Dockerfile");
  return stages;
}

/** Docker's substitution of $NAME and ${NAME} in WORKDIR, COPY, ENV and USER. */
export function substitute(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? "",
  );
}
