import { describe, expect, it } from "vitest";
import { SharedPages } from "./shared-pages.ts";

/** A page builder that counts its builds and can be held until released. */
function builder() {
  let builds = 0;
  const held: Array<(value: string) => void> = [];
  return {
    builds: () => builds,
    now: (value: string) => () => {
      builds++;
      return Promise.resolve(value);
    },
    held: () => () => {
      builds++;
      return new Promise<string>((resolve) => held.push(resolve));
    },
    release: (value: string) => held.shift()!(value),
  };
}

describe("SharedPages", () => {
  it("builds a page once for everyone asking within its age, then again", async () => {
    let clock = 0;
    const pages = new SharedPages(1000, 500, () => clock);
    const page = builder();
    const asked = [pages.get("a", page.held()), pages.get("a", page.held()), pages.get("a", page.held())];
    page.release("first");
    expect(await Promise.all(asked)).toEqual(["first", "first", "first"]);
    clock = 999;
    expect(await pages.get("a", page.now("second"))).toBe("first");
    expect(page.builds()).toBe(1);
    clock = 1000;
    expect(await pages.get("a", page.now("second"))).toBe("second");
    expect(await pages.get("b", page.now("other"))).toBe("other");
    expect(page.builds()).toBe(3);
  });

  it("after a change gives out no page built before it, not even one still being built", async () => {
    const pages = new SharedPages(60_000);
    const page = builder();
    const before = pages.get("a", page.held());
    pages.changed();
    const after = pages.get("a", page.now("after"));
    page.release("before");
    expect(await before).toBe("before");
    expect(await after).toBe("after");
    expect(await pages.get("a", page.now("third"))).toBe("after");
    pages.changed();
    expect(await pages.get("a", page.now("fourth"))).toBe("fourth");
  });

  it("does not share a failed build", async () => {
    const pages = new SharedPages(60_000);
    await expect(pages.get("a", () => Promise.reject(new Error("database gone")))).rejects.toThrow("database gone");
    expect(await pages.get("a", () => Promise.resolve("back"))).toBe("back");
  });

  it("shares nothing at age 0, and keeps at most maxPages, dropping the oldest", async () => {
    const never = new SharedPages(0);
    const page = builder();
    await never.get("a", page.now("1"));
    await never.get("a", page.now("2"));
    expect(page.builds()).toBe(2);

    const few = new SharedPages(60_000, 2);
    await few.get("a", page.now("a1"));
    await few.get("b", page.now("b1"));
    await few.get("c", page.now("c1"));
    expect(await few.get("c", page.now("c2"))).toBe("c1");
    expect(await few.get("b", page.now("b2"))).toBe("b1");
    expect(await few.get("a", page.now("a2"))).toBe("a2");
  });
});
