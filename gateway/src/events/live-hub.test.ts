// The hub's own rules: what each audience may see, and that a failing publish listener (the cluster bridge)
// neither keeps the local sockets from their message nor reaches the code that published.
import { describe, expect, it } from "vitest";
import type { ServerMessage } from "../../../protocol/ws.ts";
import { LiveHub, type LiveAudience } from "./live-hub.ts";

function audience(overrides: Partial<LiveAudience> & { inbox: ServerMessage[] }): LiveAudience {
  const { inbox, ...rest } = overrides;
  return {
    canSeeDevice: () => true,
    isMember: () => false,
    canSeeInside: () => false,
    userId: "usr_a",
    send: (message) => inbox.push(message),
    ...rest,
  };
}

const message: ServerMessage = { type: "pong", id: "1" };
const scope = { deviceId: "cam_1", householdId: "hh_1" };

describe("LiveHub", () => {
  it("delivers to the audiences allowed to see the device, and members-only messages to members only", () => {
    const hub = new LiveHub({ error: () => undefined });
    const fleet: ServerMessage[] = [];
    const stranger: ServerMessage[] = [];
    const member: ServerMessage[] = [];
    hub.add(audience({ inbox: fleet }));
    hub.add(audience({ inbox: stranger, canSeeDevice: () => false }));
    hub.add(audience({ inbox: member, isMember: (householdId) => householdId === "hh_1" }));
    hub.publish(message, scope);
    hub.publish(message, { ...scope, membersOnly: true });
    expect(fleet).toHaveLength(1);
    expect(stranger).toHaveLength(0);
    expect(member).toHaveLength(2);
  });

  it("delivers news from inside a home only to those who may see inside it", () => {
    const hub = new LiveHub({ error: () => undefined });
    const unassignedInstaller: ServerMessage[] = [];
    const assignedInstaller: ServerMessage[] = [];
    hub.add(audience({ inbox: unassignedInstaller }));
    hub.add(audience({ inbox: assignedInstaller, canSeeInside: (householdId) => householdId === "hh_1" }));
    hub.publish(message, { ...scope, insideHome: true });
    hub.publish(message, { ...scope, householdId: "hh_2", insideHome: true });
    hub.publish(message, scope);
    expect(unassignedInstaller).toHaveLength(1);
    expect(assignedInstaller).toHaveLength(2);
  });

  it("logs a publish listener that throws; the sockets and the later listeners still get the message", () => {
    const failures: Record<string, unknown>[] = [];
    const hub = new LiveHub({ error: (details) => void failures.push(details) });
    const inbox: ServerMessage[] = [];
    hub.add(audience({ inbox }));
    const forwarded: unknown[] = [];
    hub.events.on("publish", () => {
      throw new Error("bridge down");
    });
    const stop = hub.events.on(
      "publish",
      (published, publishedScope) => void forwarded.push([published, publishedScope]),
    );
    expect(() => hub.publish(message, scope)).not.toThrow();
    expect(inbox).toEqual([message]);
    expect(forwarded).toEqual([[message, scope]]);
    expect(failures).toEqual([
      expect.objectContaining({
        emitter: "live-hub",
        event: "publish",
        err: expect.objectContaining({ message: "bridge down" }),
      }),
    ]);
    stop();
    hub.publish(message, scope);
    expect(forwarded).toHaveLength(1);
  });
});
