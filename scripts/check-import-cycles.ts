// Fails on any import cycle among the project's own files, `import type` included. ESLint's import-x/no-cycle
// skips type-only imports by design; a type-only cycle is harmless at run time but still means two modules
// each need the other to be understood, which is what the house style forbids ("no import cycles").
// It also checks the README's layering (which folder may import which, scripts/import-layers.ts).
// Usage: node --import tsx scripts/check-import-cycles.ts  (exit 1 and one line per cycle or forbidden import)
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import ts from "typescript";
import { findLayerViolations } from "./import-layers.ts";

export function projectFiles(tsconfigPath: string): string[] {
  const config = ts.readConfigFile(tsconfigPath, (path) => ts.sys.readFile(path));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  return ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(tsconfigPath)).fileNames.map((f) => resolve(f));
}

/** file → the project files it imports (static, type-only, re-exports and dynamic imports alike). */
export function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = importedFiles
      .map((imported) => imported.fileName)
      .filter((specifier) => specifier.startsWith("."))
      .map((specifier) => resolve(dirname(file), specifier))
      .filter((target) => known.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself): Tarjan's algorithm. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node)!, lowLink.get(next)!));
      } else if (onStack.has(next)) lowLink.set(node, Math.min(lowLink.get(node)!, index.get(next)!));
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

if (process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const root = resolve(import.meta.dirname, "..");
  // Prisma's generated client is not ours to arrange.
  const files = projectFiles(resolve(root, "tsconfig.json")).filter(
    (file) => !file.startsWith(resolve(root, "generated") + "/"),
  );
  const cycles = findCycles(importGraph(files));
  for (const cycle of cycles) console.error(`import cycle: ${cycle.map((file) => relative(root, file)).join(" ↔ ")}`);
  const violations = findLayerViolations(
    root,
    files.map((file) => relative(root, file)),
  );
  for (const violation of violations) console.error(`import across layers: ${violation}`);
  if (cycles.length > 0 || violations.length > 0) process.exit(1);
  console.log("no import cycles, no imports across layers");
}
