import { describe, expect, it } from "vitest";
import { CallPanel } from "./call-panel.ts";

describe("CallPanel", () => {
  it("plays a call through: ringing, answered, ended", () => {
    const panel = new CallPanel();
    panel.onStatus({ callId: "call_a", state: "ringing", by: "xiaomei" });
    expect(panel.snapshot()).toMatchObject({ state: "ringing", callId: "call_a" });
    panel.onStatus({ callId: "call_a", state: "answered", by: "xiaomei" });
    expect(panel.snapshot()).toMatchObject({ state: "in-call", answeredBy: "xiaomei" });
    panel.onStatus({ callId: "call_a", state: "ended" });
    expect(panel.snapshot().state).toBe("idle");
  });

  it("an earlier call ending does not silence the call ringing now, and is still logged", () => {
    const panel = new CallPanel();
    panel.onStatus({ callId: "call_a", state: "answered", by: "xiaomei" });
    panel.onStatus({ callId: "call_b", state: "ringing", by: "xiaomei" });
    panel.onStatus({ callId: "call_a", state: "ended" });
    expect(panel.snapshot()).toMatchObject({ state: "ringing", callId: "call_b" });
    expect(panel.snapshot().log.map((entry) => `${entry.callId}:${entry.state}`)).toEqual([
      "call_a:answered",
      "call_b:ringing",
      "call_a:ended",
    ]);
    panel.onStatus({ callId: "call_b", state: "missed" });
    expect(panel.snapshot().state).toBe("idle");
  });

  it("a new call takes over from one still showing, whoever started it", () => {
    const panel = new CallPanel();
    panel.onStatus({ callId: "call_a", state: "answered", by: "家里" });
    panel.onStatus({ callId: "call_b", state: "calling-family" });
    expect(panel.snapshot()).toMatchObject({ state: "calling-family", callId: "call_b" });
  });
});
