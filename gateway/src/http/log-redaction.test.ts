import { describe, expect, it } from "vitest";
import { redactUrl } from "./log-redaction.ts";

describe("redactUrl", () => {
  it("keeps query keys and drops every value", () => {
    expect(redactUrl("/api/v1/live?token=abc.def&x=1")).toBe("/api/v1/live?token=[redacted]&x=[redacted]");
    expect(redactUrl("/viewer/?camera=cam_1&token=t")).toBe("/viewer/?camera=[redacted]&token=[redacted]");
  });
  it("hides invite codes in paths, but not the accept route", () => {
    expect(redactUrl("/join/K7P2-9QXM")).toBe("/join/[redacted]");
    expect(redactUrl("/join/K7P2-9QXM?x=1")).toBe("/join/[redacted]?x=[redacted]");
    expect(redactUrl("/api/v1/invites/K7P29QXM")).toBe("/api/v1/invites/[redacted]");
    expect(redactUrl("/api/v1/invites/accept")).toBe("/api/v1/invites/accept");
  });
  it("hides the token of a camera's snapshot upload URL", () => {
    expect(redactUrl("/api/v1/devices/cam_abc/snapshot-uploads/Zx9_secret-token")).toBe(
      "/api/v1/devices/cam_abc/snapshot-uploads/[redacted]",
    );
    expect(redactUrl("/api/v1/devices/cam_abc/snapshots/latest.jpg")).toBe(
      "/api/v1/devices/cam_abc/snapshots/latest.jpg",
    );
  });
  it("leaves ordinary paths alone", () => {
    expect(redactUrl("/api/v1/devices/cam_abc")).toBe("/api/v1/devices/cam_abc");
  });
});
