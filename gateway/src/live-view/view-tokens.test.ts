import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ViewTokens } from "./view-tokens.ts";

const grant = (overrides: Partial<Parameters<ViewTokens["issueViewer"]>[0]> = {}) => ({
  cam: "cam_a",
  uid: "usr_1",
  name: "x",
  sid: "ses_1",
  via: "look-in" as const,
  ...overrides,
});

describe("ViewTokens", () => {
  it("binds a viewer token to its camera and refuses tampering and expiry", () => {
    let now = 1_000_000;
    const tokens = new ViewTokens("secret-key", () => now);
    const { token } = tokens.issueViewer(grant({ name: "杨兴焦" }), 60_000);
    expect(tokens.verifyViewer(token, "cam_a")).toMatchObject({ uid: "usr_1", name: "杨兴焦" });
    expect(tokens.verifyViewer(token, "cam_b")).toBeNull();
    const [body, sig] = token.split(".");
    const forged = Buffer.from(
      JSON.stringify({ k: "view", cam: "cam_b", uid: "usr_1", name: "x", exp: now + 1 }),
    ).toString("base64url");
    expect(tokens.verifyViewer(`${forged}.${sig}`, "cam_b")).toBeNull();
    expect(tokens.verifyViewer(`${body}.${sig}x`, "cam_a")).toBeNull();
    expect(new ViewTokens("other-key", () => now).verifyViewer(token, "cam_a")).toBeNull();
    now += 60_001;
    expect(tokens.verifyViewer(token, "cam_a")).toBeNull();
  });

  it("keeps viewer and publish tokens apart", () => {
    const tokens = new ViewTokens("k");
    const { token } = tokens.issuePublish("cam_a", 60_000);
    expect(tokens.verifyPublish(token, "cam_a")?.nonce).toBeTruthy();
    expect(tokens.verifyViewer(token, "cam_a")).toBeNull();
  });

  it("says how the view starts and for which session and call; a token bound to no session is refused", () => {
    const tokens = new ViewTokens("secret-key");
    const call = tokens.issueViewer(grant({ via: "answered-call", call: "call_1" }), 60_000).token;
    expect(tokens.verifyViewer(call, "cam_a")).toMatchObject({ via: "answered-call", call: "call_1", sid: "ses_1" });
    expect(tokens.verifyViewer(tokens.issueViewer(grant(), 60_000).token, "cam_a")?.via).toBe("look-in");
    const sign = (claims: object) => {
      const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
      return `${body}.${createHmac("sha256", "secret-key").update(body).digest("base64url")}`;
    };
    const claims = { k: "view", cam: "cam_a", uid: "usr_1", name: "x", sid: "ses_1", exp: Date.now() + 60_000 };
    expect(tokens.verifyViewer(sign(claims), "cam_a")?.via).toBe("look-in");
    const { sid: _sid, ...unbound } = claims;
    expect(tokens.verifyViewer(sign(unbound), "cam_a")).toBeNull(); // older tokens, bound to no session
    const odd = sign({ ...claims, via: "peek" });
    expect(tokens.verifyViewer(odd, "cam_a")).toBeNull();
  });
});
