import { describe, expect, it } from "vitest";
import { eachUntilStopped, Lifecycle, LifecycleTimeoutError } from "../core/lifecycle.ts";

const quietLog = () => {
  const errors: string[] = [];
  return {
    errors,
    log: { warn: () => undefined, error: (o: object, msg: string) => void errors.push(`${msg} ${JSON.stringify(o)}`) },
  };
};

describe("Lifecycle", () => {
  it("closes in reverse order of start, once, however often stop is called", async () => {
    const { log } = quietLog();
    const lifecycle = new Lifecycle(log);
    const closed: string[] = [];
    await lifecycle.step(
      "database",
      () => "db",
      (db) => void closed.push(db),
    );
    await lifecycle.step(
      "broker",
      async () => "broker",
      async (b) => void closed.push(b),
    );
    lifecycle.defer("http", () => void closed.push("http"));
    const first = lifecycle.stop(1000);
    const second = lifecycle.stop(1000);
    expect(second).toBe(first);
    await first;
    await lifecycle.stop(1000);
    expect(closed).toEqual(["http", "broker", "db"]);
  });

  it("a step that fails to start registers no closer", async () => {
    const { log } = quietLog();
    const lifecycle = new Lifecycle(log);
    const closed: string[] = [];
    await lifecycle.step(
      "a",
      () => 1,
      () => void closed.push("a"),
    );
    await expect(
      lifecycle.step(
        "b",
        () => Promise.reject(new Error("port in use")),
        () => void closed.push("b"),
      ),
    ).rejects.toThrow("port in use");
    await lifecycle.stop(1000);
    expect(closed).toEqual(["a"]);
  });

  it("a failing closer is logged and the rest still close", async () => {
    const { log, errors } = quietLog();
    const lifecycle = new Lifecycle(log);
    const closed: string[] = [];
    lifecycle.defer("first", () => void closed.push("first"));
    lifecycle.defer("broken", () => {
      throw new Error("boom");
    });
    lifecycle.defer("last", () => void closed.push("last"));
    await lifecycle.stop(1000);
    expect(closed).toEqual(["last", "first"]);
    expect(errors.join("\n")).toContain("broken");
  });

  it("a closer that hangs past the deadline is named, and the ones after it still run", async () => {
    const { log } = quietLog();
    const lifecycle = new Lifecycle(log);
    const closed: string[] = [];
    lifecycle.defer("database", () => void closed.push("database"));
    lifecycle.defer("stuck", () => new Promise(() => undefined));
    const began = Date.now();
    const error = await lifecycle.stop(200).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecycleTimeoutError);
    expect((error as LifecycleTimeoutError).step).toBe("stuck");
    expect(closed).toEqual(["database"]);
    expect(Date.now() - began).toBeLessThan(5000);
  });

  it("refuses new closers once stopping", async () => {
    const { log } = quietLog();
    const lifecycle = new Lifecycle(log);
    await lifecycle.stop(100);
    expect(() => lifecycle.defer("late", () => undefined)).toThrow(/already stopping/);
  });
});

describe("eachUntilStopped", () => {
  it("finishes the step in hand when its signal is aborted, and starts no other", async () => {
    const stopping = new AbortController();
    const done: number[] = [];
    await eachUntilStopped([1, 2, 3, 4], stopping.signal, async (n) => {
      if (n === 2) stopping.abort(); // asked to stop while the second step is under way
      await Promise.resolve();
      done.push(n);
    });
    expect(done).toEqual([1, 2]);
    await eachUntilStopped([5, 6], undefined, async (n) => void done.push(n));
    expect(done).toEqual([1, 2, 5, 6]);
  });
});
