// A vitest reporter that ends `npm test` with the suites skipped because a system tool is missing, and the
// command that installs them; a skip for another reason is listed too, so no skip goes unseen.
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";
import { installCommand, isInstalled, tools } from "./tools.ts";

function skippedCount(module: TestModule): { skipped: number; total: number } {
  let skipped = 0;
  let total = 0;
  for (const test of module.children.allTests()) {
    total++;
    if (test.result().state === "skipped") skipped++;
  }
  return { skipped, total };
}

export default class MissingToolsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const missing = tools.filter((t) => !isInstalled(t));
    const byTool = new Map<string, string[]>();
    const otherSkips: string[] = [];
    const modules = [...testModules].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
    for (const module of modules) {
      const { skipped, total } = skippedCount(module);
      if (skipped === 0) continue;
      const file = relative(process.cwd(), module.moduleId);
      const source = readFileSync(module.moduleId, "utf8");
      const causes = missing.filter((t) => t.mentioned.test(source));
      for (const cause of causes)
        byTool.set(cause.name, [...(byTool.get(cause.name) ?? []), `${file} (${skipped}/${total})`]);
      if (causes.length === 0) otherSkips.push(`${file} (${skipped}/${total} skipped)`);
    }
    const lines: string[] = [];
    if (byTool.size) {
      lines.push("", "Skipped for a missing tool:");
      for (const [name, files] of byTool) lines.push(`  ${name}: ${files.join(", ")}`);
      lines.push(`Install them with: ${installCommand(missing.filter((t) => byTool.has(t.name)))}`);
    } else if (missing.length === 0) {
      lines.push("", `Every tool the suite uses is installed (${tools.map((t) => t.name).join(", ")}).`);
    }
    if (otherSkips.length) lines.push("Skipped tests (not for a tool):", ...otherSkips.map((f) => `  ${f}`));
    if (lines.length) process.stdout.write(`${lines.join("\n")}\n`);
  }
}
