// The layering check: which folder may import which, type-only imports told apart, and the table in
// scripts/import-layers.ts saying exactly what the README's Layout section says.
import { readFileSync } from "node:fs";
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findLayerViolations, LAYERS, layerViolation, specifiersOf, type Layer } from "../scripts/import-layers.ts";

const value = (target: string) => ({ target, typeOnly: false });
const typeOf = (target: string) => ({ target, typeOnly: true });

describe("specifiersOf", () => {
  it("tells type-only imports and re-exports from those that bring in values", () => {
    const source = [
      'import type { A } from "./a.ts";',
      'import { type B, type C } from "./b.ts";',
      'import { type D, e } from "./d.ts";',
      'import "./side-effect.ts";',
      'export type { F } from "./f.ts";',
      'export * from "./g.ts";',
      'import type { H } from "./h.ts";',
      'import { h } from "./h.ts";',
      'const lazy = () => import("./lazy.ts");',
      'import { z } from "zod";',
    ].join("\n");
    expect(Object.fromEntries(specifiersOf(source))).toEqual({
      "./a.ts": true,
      "./b.ts": true,
      "./d.ts": false,
      "./side-effect.ts": false,
      "./f.ts": true,
      "./g.ts": false,
      "./h.ts": false,
      "./lazy.ts": false,
    });
  });
});

describe("layerViolation", () => {
  const layers: Record<string, Layer> = {
    "base/": { may: [] },
    "app/": { may: ["base/", "lib/src/"] },
    "lib/": { may: ["base/"] },
    "tools/": { may: ["*"] },
    "app/src/ui/": { may: ["app/src/main.ts"], typesOnly: ["app/src/data/"], scope: ["app/src/", "lib/src/"] },
    "app/src/data/": { may: ["lib/src/"], scope: ["app/src/", "lib/src/"] },
    "app/src/main.ts": { may: ["app/src/"], scope: ["app/src/"] },
  };
  const check = (from: string, imported: { target: string; typeOnly: boolean }) =>
    layerViolation(from, imported, layers);

  it("allows a folder what its row lists, and its own files", () => {
    expect(check("app/x.ts", value("base/y.ts"))).toBeNull();
    expect(check("base/x.ts", value("base/deeper/y.ts"))).toBeNull();
    expect(check("tools/x.ts", value("app/src/ui/y.ts"))).toBeNull();
    expect(check("base/x.ts", value("app/y.ts"))).toBe("base/ may not import app/y.ts");
    expect(check("app/x.ts", value("lib/other/y.ts"))).toBe("app/ may not import lib/other/y.ts");
  });

  it("lets a part's row rule on its scope and the folder's row on the rest", () => {
    expect(check("app/src/ui/x.ts", value("base/y.ts"))).toBeNull();
    expect(check("app/src/ui/x.ts", value("app/src/main.ts"))).toBeNull();
    expect(check("app/src/data/x.ts", value("lib/src/y.ts"))).toBeNull();
    expect(check("app/src/ui/x.ts", value("lib/src/y.ts"))).toBe("app/src/ui/ may not import lib/src/y.ts");
    expect(check("app/src/data/x.ts", value("app/src/ui/y.ts"))).toBe("app/src/data/ may not import app/src/ui/y.ts");
    expect(check("app/src/main.ts", value("app/src/ui/y.ts"))).toBeNull();
    expect(check("app/src/main.ts", value("tools/y.ts"))).toBe("app/ may not import tools/y.ts");
  });

  it("allows a types-only import only when it brings in types alone", () => {
    expect(check("app/src/ui/x.ts", typeOf("app/src/data/y.ts"))).toBeNull();
    expect(check("app/src/ui/x.ts", value("app/src/data/y.ts"))).toBe(
      "app/src/ui/ may import app/src/data/y.ts for types only",
    );
  });

  it("lets unit tests use test/helpers/ and nothing import a test", () => {
    expect(check("lib/x.test.ts", value("test/helpers/stack.ts"))).toBeNull();
    expect(check("lib/x.ts", value("test/helpers/stack.ts"))).toBe("lib/ may not import test/helpers/stack.ts");
    expect(check("lib/x.test.ts", value("test/other.ts"))).toBe("lib/ may not import test/other.ts");
    expect(check("tools/x.ts", value("lib/x.test.ts"))).toBe("nothing imports a test");
  });

  it("refuses a file in no row", () => {
    expect(check("stray/x.ts", value("base/y.ts"))).toBe("stray/x.ts lies in no folder of the layout table");
  });
});

describe("findLayerViolations", () => {
  it("reads the files' imports and reports each forbidden one", async () => {
    const root = await mkdtemp(join(tmpdir(), "wx-layers-"));
    await mkdir(join(root, "protocol"));
    await mkdir(join(root, "core"));
    await writeFile(join(root, "protocol/a.ts"), 'import type { B } from "../core/b.ts";\nexport type A = B;\n');
    await writeFile(join(root, "core/b.ts"), 'import { a } from "../protocol/a.ts";\nexport type B = string;\n');
    expect(findLayerViolations(root, ["protocol/a.ts", "core/b.ts"])).toEqual([
      "protocol/a.ts → core/b.ts: protocol/ may not import core/b.ts",
    ]);
  });
});

/** The README's "may import" cells, by the row's folder or file: backquoted names, a types-only clause after ";". */
function readmeTable(section: string, qualify: (name: string) => string): Record<string, Layer> {
  const rows: Record<string, Layer> = {};
  for (const line of section.split("\n").filter((l) => l.startsWith("| `"))) {
    const [owners = "", , allowed = ""] = line.split(" | ").map((cell) => cell.replace(/^\| |\s*\|$/g, ""));
    const names = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => qualify(m[1]!));
    const [may = "", ...rest] = allowed.replace(/\([^)]*\)/g, "").split(";");
    const layer: Layer = { may: /^\s*(anything|everything)\b/.test(may) && !may.includes("`") ? ["*"] : names(may) };
    const typesOnly = rest.filter((clause) => clause.includes("type")).flatMap(names);
    if (typesOnly.length) layer.typesOnly = typesOnly;
    for (const owner of names(owners)) rows[owner] = layer;
  }
  return rows;
}

describe("the layout table", () => {
  it("says exactly what the README's Layout section says", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
    const layout = readme.slice(readme.indexOf("## Layout"), readme.indexOf("\n## ", readme.indexOf("## Layout")));
    const [folders = "", parts = ""] = layout.split("### Inside the gateway");
    const inGateway = (name: string) => (/^(gateway|broker|relay)\//.test(name) ? name : `gateway/src/${name}`);
    const documented = { ...readmeTable(folders, (name) => name), ...readmeTable(parts, inGateway) };
    const ours = Object.fromEntries(
      Object.entries(LAYERS).map(([area, { may, typesOnly }]) => [area, typesOnly ? { may, typesOnly } : { may }]),
    );
    const sorted = (table: Record<string, Layer>) =>
      Object.fromEntries(
        Object.entries(table).map(([area, layer]) => [
          area,
          { ...layer, may: [...layer.may].sort(), ...(layer.typesOnly && { typesOnly: [...layer.typesOnly].sort() }) },
        ]),
      );
    expect(sorted(ours)).toEqual(sorted(documented));
  });
});
