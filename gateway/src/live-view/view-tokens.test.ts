import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ViewTokens } from "./view-tokens.ts";

describe("ViewTokens", () => {
  it("binds a viewer token to its camera and refuses tampering and expiry", () => {
    let now = 1_000_000;
    const tokens = new ViewTokens("secret-key", () => now);
    const { token } = tokens.issueViewer("cam_a", "usr_1", "杨兴焦", 60_000);
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

  it("says how the view starts (a call passes a call window); tokens from before that field are look-ins", () => {
    const tokens = new ViewTokens("secret-key");
    const call = tokens.issueViewer("cam_a", "usr_1", "杨兴焦", 60_000, "answered-call").token;
    expect(tokens.verifyViewer(call, "cam_a")?.via).toBe("answered-call");
    expect(tokens.verifyViewer(tokens.issueViewer("cam_a", "usr_1", "x", 60_000).token, "cam_a")?.via).toBe("look-in");
    const sign = (claims: object) => {
      const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
      return `${body}.${createHmac("sha256", "secret-key").update(body).digest("base64url")}`;
    };
    const older = sign({ k: "view", cam: "cam_a", uid: "usr_1", name: "x", exp: Date.now() + 60_000 });
    expect(tokens.verifyViewer(older, "cam_a")?.via).toBe("look-in");
    const odd = sign({ k: "view", cam: "cam_a", uid: "usr_1", name: "x", exp: Date.now() + 60_000, via: "peek" });
    expect(tokens.verifyViewer(odd, "cam_a")).toBeNull();
  });
});
