// Fails (exit 1) when the project's own modules import each other in a cycle, type-only imports included:
// a cycle means two parts cannot be understood, tested or started one without the other.
// Usage: node --import tsx scripts/check-import-cycles.ts [folder…]   (default: every source folder)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const defaultFolders = ["broker", "core", "firmware-sim", "gateway", "protocol", "relay", "web/src", "scripts"];
const sourceFile = /\.(ts|tsx)$/;
const importSpecifier = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

function sourceFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder).flatMap((name) => {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) return [];
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : sourceFile.test(name) ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(importSpecifier)]
    .map((m) => resolve(dirname(file), (m[1] ?? m[2])!))
    .filter((target) => existsSync(target) && sourceFile.test(target));
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.reverse());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

const folders = (process.argv.length > 2 ? process.argv.slice(2) : defaultFolders).map((f) => resolve(root, f));
const graph = new Map(folders.flatMap(sourceFiles).map((file) => [file, importsOf(file)] as const));
const cycles = findCycles(graph);
if (cycles.length === 0) {
  console.log(`no import cycles among ${graph.size} files`);
} else {
  for (const cycle of cycles) console.error(`import cycle: ${cycle.map((f) => relative(root, f)).join(" → ")}`);
  process.exit(1);
}
