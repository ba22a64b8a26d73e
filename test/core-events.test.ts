import { describe, expect, it } from "vitest";
import { TypedEvents, type ListenerErrorLog } from "../core/events.ts";

interface DoorEvents {
  opened: [by: string, at: number];
  closed: [];
}

function recordingLog() {
  const lines: { details: Record<string, unknown>; message: string }[] = [];
  const log: ListenerErrorLog = { error: (details, message) => void lines.push({ details, message }) };
  return { log, lines };
}

function door() {
  const { log, lines } = recordingLog();
  return { events: new TypedEvents<DoorEvents>({ log, name: "door" }), lines };
}

describe("TypedEvents", () => {
  it("calls listeners with the event's arguments, in subscription order", () => {
    const { events } = door();
    const heard: string[] = [];
    events.on("opened", (by, at) => void heard.push(`a:${by}@${at}`));
    events.on("opened", (by) => void heard.push(`b:${by}`));
    events.on("closed", () => void heard.push("closed"));
    events.emit("opened", "grandma", 7);
    expect(heard).toEqual(["a:grandma@7", "b:grandma"]);
  });

  it("on returns the function that unsubscribes, and only that subscription", () => {
    const { events } = door();
    const heard: number[] = [];
    const listener = (_by: string, at: number) => void heard.push(at);
    const first = events.on("opened", listener);
    events.on("opened", listener);
    events.emit("opened", "x", 1);
    first();
    first(); // twice is harmless
    events.emit("opened", "x", 2);
    expect(heard).toEqual([1, 1, 2]);
    expect(events.listenerCount("opened")).toBe(1);
  });

  it("once hears one emit; its unsubscribe works before it fired", () => {
    const { events } = door();
    let heard = 0;
    events.once("closed", () => void (heard += 1));
    const cancelled = events.once("closed", () => void (heard += 100));
    cancelled();
    events.emit("closed");
    events.emit("closed");
    expect(heard).toBe(1);
    expect(events.listenerCount("closed")).toBe(0);
  });

  it("a throwing listener is logged, the others still hear the event, and emit does not throw", () => {
    const { events, lines } = door();
    const heard: string[] = [];
    events.on("opened", () => {
      throw new Error("listener bug");
    });
    events.on("opened", (by) => void heard.push(by));
    expect(() => events.emit("opened", "neighbour", 3)).not.toThrow();
    expect(heard).toEqual(["neighbour"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      message: "event listener failed",
      details: { emitter: "door", event: "opened", err: { message: "listener bug" } },
    });
  });

  it("a rejected async listener is logged instead of becoming an unhandled rejection", async () => {
    const { events, lines } = door();
    let reject!: (error: Error) => void;
    const settled = new Promise<void>((resolve) => {
      events.on("closed", async () => {
        await new Promise<void>((_, r) => (reject = r));
      });
      events.on("closed", () => resolve());
    });
    events.emit("closed");
    await settled;
    reject(new Error("database down"));
    await expect.poll(() => lines.length).toBe(1);
    expect(lines[0]!.details).toMatchObject({ event: "closed", err: { message: "database down" } });
  });

  it("a listener added or removed during an emit does not change who hears that emit", () => {
    const { events } = door();
    const heard: string[] = [];
    let unsubscribeSecond = () => {};
    events.on("closed", () => {
      heard.push("first");
      unsubscribeSecond();
      events.on("closed", () => void heard.push("late"));
    });
    unsubscribeSecond = events.on("closed", () => void heard.push("second"));
    events.emit("closed");
    expect(heard).toEqual(["first", "second"]);
    events.emit("closed");
    expect(heard).toEqual(["first", "second", "first", "late"]);
  });

  it("clear drops every listener", () => {
    const { events } = door();
    let heard = 0;
    events.on("closed", () => void (heard += 1));
    events.clear();
    events.emit("closed");
    expect(heard).toBe(0);
  });
});
