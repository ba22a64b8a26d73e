// The import-cycle check: its graph search, and that it sees `import type` as an import.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findCycles, importGraph } from "../scripts/check-import-cycles.ts";

const graphOf = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe("findCycles", () => {
  it("finds none in a tree or a diamond", () => {
    expect(findCycles(graphOf({ a: ["b", "c"], b: ["d"], c: ["d"], d: [] }))).toEqual([]);
  });

  it("finds each cycle once, with every file in it", () => {
    const cycles = findCycles(graphOf({ a: ["b"], b: ["c"], c: ["a", "d"], d: ["e"], e: ["d"], f: ["a"] }));
    expect(cycles.sort()).toEqual([
      ["a", "b", "c"],
      ["d", "e"],
    ]);
  });

  it("a file importing itself is a cycle", () => {
    expect(findCycles(graphOf({ a: ["a"] }))).toEqual([["a"]]);
  });
});

describe("importGraph", () => {
  it("counts type-only imports and re-exports, and ignores packages", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wx-cycles-"));
    const file = (name: string) => join(dir, name);
    await writeFile(file("a.ts"), 'import type { B } from "./b.ts";\nimport { z } from "zod";\nexport type A = B;\n');
    await writeFile(file("b.ts"), 'export * from "./c.ts";\nexport type B = string;\n');
    await writeFile(file("c.ts"), 'import type { A } from "./a.ts";\nexport type C = A;\n');
    const graph = importGraph([file("a.ts"), file("b.ts"), file("c.ts")]);
    expect(graph.get(file("a.ts"))).toEqual([file("b.ts")]);
    expect(findCycles(graph)).toEqual([[file("a.ts"), file("b.ts"), file("c.ts")]]);
  });
});
