// The README's Layout section as a rule: which folder (and, inside the gateway, which part) may import which.
// `LAYERS` is the one table; keep it and the README's two "may import" columns saying the same thing.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import ts from "typescript";

export interface Layer {
  /** Folders (ending in "/") or files, relative to the repository root, that it may import; "*" is anything. */
  may: string[];
  /** What it may import for types only (`import type`, or every name imported marked `type`). */
  typesOnly?: string[];
  /** The imports this row rules on (default: all); a gateway part's row leaves protocol/ and core/ to the folder's. */
  scope?: string[];
}

const GATEWAY_ROOT_FILES = [
  "app.ts",
  "main.ts",
  "config.ts",
  "metrics.ts",
  "seed.ts",
  "banner.ts",
  "messaging.ts",
  "cluster-mode.ts",
  "gateway.ts",
];
/** A part's builder (its `*-parts.ts`) reads the configuration it is built from: for its type only. */
const CONFIG = "gateway/src/config.ts";
const gatewayPart = (part: string) => `gateway/src/${part}/`;
const PART_SCOPE = ["gateway/src/", "broker/src/", "relay/src/"];

export const LAYERS: Record<string, Layer> = {
  "protocol/": { may: [] },
  "core/": { may: ["protocol/", "generated/"] },
  "broker/": { may: ["protocol/", "core/"] },
  "relay/": { may: ["protocol/", "core/"] },
  "gateway/": { may: ["protocol/", "core/", "broker/src/", "relay/src/"] },
  "device-client/": { may: ["protocol/", "core/"] },
  "firmware-sim/": { may: ["protocol/", "core/", "device-client/"] },
  // The media half still takes the WebRTC peer config and stream types from the simulator's media (to go).
  "camera-bridge/": { may: ["protocol/", "core/", "device-client/"] },
  "web/": { may: ["protocol/"] },
  "admin/": { may: ["protocol/", "core/"] },
  "prisma/": { may: ["core/"] },
  "test/": { may: ["*"] },
  "bench/": { may: ["*"] },
  "scripts/": { may: ["core/", "deploy/src/"] },
  "deploy/": { may: [] },
  // Inside the gateway: a part's imports of other parts (the folder rule above covers the rest).
  [gatewayPart("http")]: { may: ["gateway/src/metrics.ts"], scope: PART_SCOPE },
  [gatewayPart("access")]: {
    may: [gatewayPart("http")],
    typesOnly: [gatewayPart("events"), CONFIG],
    scope: PART_SCOPE,
  },
  [gatewayPart("events")]: { may: [gatewayPart("access"), "gateway/src/metrics.ts"], scope: PART_SCOPE },
  [gatewayPart("device-plane")]: {
    may: [gatewayPart("access"), gatewayPart("events"), gatewayPart("http"), "gateway/src/metrics.ts", "broker/src/"],
    typesOnly: [CONFIG],
    scope: PART_SCOPE,
  },
  [gatewayPart("live-view")]: {
    may: [gatewayPart("access"), gatewayPart("events"), gatewayPart("http"), "relay/src/"],
    typesOnly: [gatewayPart("device-plane"), CONFIG],
    scope: PART_SCOPE,
  },
  [gatewayPart("calls")]: {
    may: [gatewayPart("access"), gatewayPart("events"), gatewayPart("http"), "gateway/src/metrics.ts"],
    typesOnly: [gatewayPart("live-view"), gatewayPart("notify"), CONFIG],
    scope: PART_SCOPE,
  },
  [gatewayPart("notify")]: {
    may: [gatewayPart("access"), gatewayPart("http"), "gateway/src/metrics.ts"],
    scope: PART_SCOPE,
  },
  [gatewayPart("site-check")]: {
    may: [gatewayPart("access"), gatewayPart("http"), "relay/src/"],
    typesOnly: [gatewayPart("live-view"), CONFIG],
    scope: PART_SCOPE,
  },
  [gatewayPart("snapshots")]: {
    may: [gatewayPart("access"), gatewayPart("events"), gatewayPart("http"), "gateway/src/metrics.ts"],
    typesOnly: [CONFIG],
    scope: PART_SCOPE,
  },
  [gatewayPart("wellbeing")]: {
    may: [gatewayPart("access")],
    typesOnly: [gatewayPart("events"), gatewayPart("notify"), CONFIG],
    scope: PART_SCOPE,
  },
  // The composition root and its neighbours; what they take from outside the gateway is the folder row's to rule.
  ...Object.fromEntries(
    GATEWAY_ROOT_FILES.map((file) => [`gateway/src/${file}`, { may: ["gateway/src/"], scope: ["gateway/src/"] }]),
  ),
};

/** Unit tests beside their code may also use the shared test helpers and the simulated camera. */
const TEST_TOOLS = ["test/helpers/", "firmware-sim/src/"];
const isTest = (path: string) => path.endsWith(".test.ts") || path.endsWith(".test.tsx");
const within = (path: string, area: string) => (area.endsWith("/") ? path.startsWith(area) : path === area);

export interface ProjectImport {
  target: string;
  typeOnly: boolean;
}

/** Whether a declaration brings in types alone: `import type`, `export type`, or every named binding marked `type`. */
function typeOnlyDeclaration(statement: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(statement)) {
    if (statement.isTypeOnly) return true;
    const clause = statement.exportClause;
    return !!clause && ts.isNamedExports(clause) && clause.elements.every((e) => e.isTypeOnly);
  }
  const clause = statement.importClause;
  if (!clause) return false; // a side-effect import runs the module
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return !clause.name && !!bindings && ts.isNamedImports(bindings) && bindings.elements.every((e) => e.isTypeOnly);
}

/** Relative specifiers a file imports, each with whether every import of it is for types only. */
export function specifiersOf(source: string): Map<string, boolean> {
  const file = ts.createSourceFile("file.ts", source, ts.ScriptTarget.Latest, false);
  const typeOnly = new Map<string, boolean>();
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier)) continue;
    const prior = typeOnly.get(specifier.text) ?? true;
    typeOnly.set(specifier.text, prior && typeOnlyDeclaration(statement));
  }
  // Dynamic imports and anything else the declarations above did not cover bring in values.
  for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles)
    if (!typeOnly.has(fileName)) typeOnly.set(fileName, false);
  return new Map([...typeOnly].filter(([specifier]) => specifier.startsWith(".")));
}

/** The project files a file imports (relative paths from `root`), with whether only types come from each. */
export function projectImports(root: string, relativePath: string, known: Set<string>): ProjectImport[] {
  const absolute = resolve(root, relativePath);
  const imports: ProjectImport[] = [];
  for (const [specifier, typeOnly] of specifiersOf(readFileSync(absolute, "utf8"))) {
    const target = resolve(dirname(absolute), specifier).slice(root.length + 1);
    if (known.has(target)) imports.push({ target, typeOnly });
  }
  return imports;
}

/** The table's areas a file lies in, outermost first (a top-level folder, then a gateway part). */
export function areasOf(path: string, layers: Record<string, Layer> = LAYERS): string[] {
  return Object.keys(layers)
    .filter((area) => within(path, area))
    .sort((a, b) => a.length - b.length);
}

/** Why one row forbids an import (null when it allows it or does not rule on it). */
function ruleOf(area: string, layer: Layer, to: string, typeOnly: boolean): string | null {
  if (layer.scope && !layer.scope.some((scope) => within(to, scope))) return null;
  if (layer.may.some((allowed) => allowed === "*" || within(to, allowed))) return null;
  if (layer.typesOnly?.some((allowed) => within(to, allowed)))
    return typeOnly ? null : `${area} may import ${to} for types only`;
  return `${area} may not import ${to}`;
}

/** Why `from` may not import `to` (null when it may): every row of `from` that `to` lies outside must allow it. */
export function layerViolation(
  from: string,
  { target: to, typeOnly }: ProjectImport,
  layers: Record<string, Layer> = LAYERS,
): string | null {
  if (isTest(to)) return "nothing imports a test";
  const areas = areasOf(from, layers);
  if (areas.length === 0) return `${from} lies in no folder of the layout table`;
  if (from.startsWith("gateway/src/") && areas.length === 1) return `${from} lies in no part of the gateway's table`;
  if (isTest(from) && !from.startsWith("test/") && TEST_TOOLS.some((tool) => within(to, tool))) return null;
  for (const area of areas.filter((area) => !within(to, area))) {
    const why = ruleOf(area, layers[area]!, to, typeOnly);
    if (why) return why;
  }
  return null;
}

/** Every import in `files` (relative to `root`) that the layout table forbids, as "from → to: why". */
export function findLayerViolations(root: string, files: string[], layers: Record<string, Layer> = LAYERS): string[] {
  const known = new Set(files);
  const violations: string[] = [];
  for (const from of files) {
    for (const imported of projectImports(root, from, known)) {
      const why = layerViolation(from, imported, layers);
      if (why) violations.push(`${from} → ${imported.target}: ${why}`);
    }
  }
  return violations;
}
