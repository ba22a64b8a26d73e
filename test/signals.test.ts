// core/shutdown.ts in a real process: SIGTERM stops and exits 0; a stop that hangs still exits by the deadline;
// a second signal exits at once.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

/** A process whose stop() resolves after `stopMs` (never, when null), with a deadline of `deadlineMs`. */
function processWithStop(stopMs: number | null, deadlineMs: number) {
  const script = `
    import { handleShutdownSignals } from "./core/shutdown.ts";
    const log = { info: (o, m) => console.log(m), warn: (o, m) => console.log(m), error: (o, m) => console.log(m) };
    handleShutdownSignals({ stop: () => new Promise((resolve) => { if (${stopMs} !== null) setTimeout(resolve, ${stopMs}); }), deadlineMs: ${deadlineMs}, log });
    setInterval(() => undefined, 1000);
    console.log("ready");`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const ready = new Promise<void>((resolve) =>
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("ready")) resolve();
    }),
  );
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once("exit", (code) => resolve({ code, at: Date.now() })),
  );
  return { child, ready, exited, output: () => output };
}

describe("handleShutdownSignals", () => {
  it("SIGTERM: stops, then exits 0", async () => {
    const p = processWithStop(200, 5000);
    await p.ready;
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(0);
    expect(p.output()).toContain("stopped cleanly");
  });

  it("a stop that never finishes: exits 1 at the deadline", async () => {
    const p = processWithStop(null, 1000);
    await p.ready;
    const sentAt = Date.now();
    p.child.kill("SIGTERM");
    const { code, at } = await p.exited;
    expect(code).toBe(1);
    expect(at - sentAt).toBeGreaterThanOrEqual(900);
    expect(p.output()).toContain("did not finish in time");
  });

  it("a second signal exits at once", async () => {
    const p = processWithStop(null, 60_000);
    await p.ready;
    p.child.kill("SIGTERM");
    await new Promise<void>((resolve) => {
      const check = () => (p.output().includes("shutting down") ? resolve() : setTimeout(check, 20));
      check();
    });
    p.child.kill("SIGINT");
    expect((await p.exited).code).toBe(130); // 128 + SIGINT, as a shell reports it
    expect(p.output()).toContain("second signal");
  });
});
