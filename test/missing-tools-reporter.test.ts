// `npm test` ends with the suites skipped for a missing tool and the command that installs it. Proven by
// running vitest on two real tool-gated files as a machine without chromium and coturn would.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("missing-tools reporter", { timeout: 120_000 }, () => {
  it("names each skipped file under the tool it lacks, and the install command", () => {
    const run = spawnSync(
      "node_modules/.bin/vitest",
      ["run", "--config", "test/fixtures/skip-report.vitest.config.ts"],
      {
        env: { ...process.env, WX_TEST_MISSING_TOOLS: "chromium,coturn", NO_COLOR: "1" },
        encoding: "utf8",
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const report = run.stdout.slice(run.stdout.indexOf("Skipped for a missing tool:"));
    expect(report).toMatch(
      /^ {2}chromium: test\/browser-turn\.test\.ts \(\d+\/\d+\), test\/web-staff\.test\.ts \(\d+\/\d+\)$/m,
    );
    expect(report).toMatch(/^ {2}coturn: test\/browser-turn\.test\.ts \(\d+\/\d+\)$/m);
    expect(report).toContain("Install them with: sudo apt-get install -y --no-install-recommends chromium coturn\n");
  });
});
