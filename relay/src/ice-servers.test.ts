import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { iceServerSource, turnRestCredentials } from "./ice-servers.ts";

describe("TURN REST credentials (coturn use-auth-secret)", () => {
  const turn = { urls: ["turn:turn.example.cn:3478?transport=udp"], secret: "s3cret-shared-with-coturn", ttlS: 600 };

  it("names the expiry and the client, and signs the name with the shared secret", () => {
    const now = Date.UTC(2026, 10, 28, 2, 0, 0);
    const server = turnRestCredentials(turn, "viewer-1", now);
    expect(server.username).toBe(`${now / 1000 + 600}:viewer-1`);
    expect(server.credential).toBe(createHmac("sha1", turn.secret).update(server.username).digest("base64"));
    expect(server.urls).toEqual(turn.urls);
  });

  it("gives every client its own credentials and keeps static servers", () => {
    const source = iceServerSource({ servers: [{ urls: "stun:stun.example.cn:3478" }], turn });
    const a = source("viewer-a");
    const b = source("viewer-b");
    expect(a[0]).toEqual({ urls: "stun:stun.example.cn:3478" });
    expect(a[1]!.username).not.toBe(b[1]!.username);
    expect(a[1]!.credential).not.toBe(b[1]!.credential);
  });

  it("keeps a colon in a client id from changing what coturn reads as the expiry", () => {
    expect(turnRestCredentials(turn, "cam:1", 0).username).toBe("600:cam_1");
  });

  it("hands out only the static servers when TURN is not configured", () => {
    expect(iceServerSource({ servers: [], turn: null })("x")).toEqual([]);
  });
});
