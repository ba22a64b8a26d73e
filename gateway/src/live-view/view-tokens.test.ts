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
});
