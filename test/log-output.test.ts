// Log lines: JSON when stdout is a pipe (log collectors), readable when LOG_FORMAT=pretty or on a terminal.
// Proven on the real standalone broker process, whose start-up line names its port.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { terminalLogDestination } from "../core/log-output.ts";

/** Starts `npm run broker` on a free port and resolves with its first stdout line, then stops it. */
function firstBrokerLine(env: Record<string, string>): Promise<{ line: string; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "broker/src/main.ts"], {
      env: {
        ...process.env,
        MQTT_PORT: "0",
        MQTT_HOST: "127.0.0.1",
        MQTT_SERVICE_PASSWORD: "log-test-service-password",
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let first: string | undefined;
    child.stderr.on("data", (d) => (stderr += d));
    createInterface({ input: child.stdout }).once("line", (line) => {
      first = line;
      child.kill("SIGTERM");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ line: first ?? "", code, stderr }));
  });
}

describe("log output", { timeout: 60_000 }, () => {
  it("writes JSON lines to a pipe by default", async () => {
    const { line } = await firstBrokerLine({ LOG_FORMAT: "" });
    const parsed = JSON.parse(line) as { level: number; msg: string; port: number };
    expect(parsed.level).toBe(30);
    expect(parsed.msg).toMatch(/MQTT broker listening/);
  });

  it("writes readable lines with LOG_FORMAT=pretty", async () => {
    const { line } = await firstBrokerLine({ LOG_FORMAT: "pretty" });
    expect(() => JSON.parse(line)).toThrow();
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: MQTT broker listening/);
  });

  it("stops with a message naming LOG_FORMAT for a bad value", async () => {
    const { code, stderr } = await firstBrokerLine({ LOG_FORMAT: "fancy" });
    expect(code).toBe(1);
    expect(stderr).toMatch(/LOG_FORMAT must be auto, json or pretty \(got "fancy"\)/);
  });

  it("guesses from the terminal: pretty on a TTY, JSON (no stream) elsewhere", () => {
    expect(terminalLogDestination("auto", { isTTY: true })).toBeDefined();
    expect(terminalLogDestination("auto", { isTTY: false })).toBeUndefined();
    expect(terminalLogDestination("json", { isTTY: true })).toBeUndefined();
  });
});
