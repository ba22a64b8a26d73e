// ICE servers (with their TURN credentials) go only to callers who may use the camera's relay, and the TURN
// credentials are per client and expire (coturn's use-auth-secret). An outside review found that
// `OPTIONS /api/v1/whep/<anything>` handed the TURN username and password to anyone.
import { createHmac } from "node:crypto";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsDevice, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";

const TURN_SECRET = "turn-shared-secret-for-tests";
const TTL_S = 600;

function turnLinks(link: string | null): { username: string; credential: string }[] {
  return (link ?? "")
    .split(/,(?=\s*<)/)
    .filter((l) => l.includes("turn:"))
    .map((l) => ({
      username: /username="([^"]*)"/.exec(l)?.[1] ?? "",
      credential: /credential="([^"]*)"/.exec(l)?.[1] ?? "",
    }));
}

describe("TURN credentials and ICE servers", () => {
  let stack: Stack;
  let camera: { deviceId: string; password: string };
  let client: MqttClient;
  let family: string;

  beforeAll(async () => {
    stack = await startStack({
      RELAY_ENABLED: "1",
      RELAY_WORKERS: "1",
      RELAY_HOST_ADDRESSES: "127.0.0.1",
      COMMAND_TIMEOUT_MS: "800",
      STREAM_START_TIMEOUT_MS: "800",
      ICE_SERVERS: JSON.stringify([{ urls: "stun:stun.example.cn:3478" }]),
      TURN_URLS: "turn:turn.example.cn:3478?transport=udp",
      TURN_SECRET,
      TURN_CREDENTIAL_TTL_S: String(TTL_S),
    });
    camera = await installDemoCamera(stack, 0);
    client = await connectAsDevice(stack, camera.deviceId, camera.password);
    family = await stack.login("family");
    await waitFor(
      "camera online",
      async () =>
        (await stack.api("GET", `/api/v1/devices/${camera.deviceId}`, { token: family })).body.connection === "online",
    );
  }, 60_000);

  afterAll(async () => {
    client?.end(true);
    await stack?.stop();
  });

  const options = (path: string, token?: string) =>
    fetch(`${stack.httpUrl}${path}`, { method: "OPTIONS", headers: token ? { authorization: `Bearer ${token}` } : {} });

  it("OPTIONS on WHEP and WHIP gives no ICE servers to a caller without a valid token", async () => {
    for (const path of [
      `/api/v1/whep/${camera.deviceId}`,
      "/api/v1/whep/anything",
      `/api/v1/whip/${camera.deviceId}`,
    ]) {
      const anonymous = await options(path);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get("link"), path).toBeNull();
      const forged = await options(path, "not-a-real-token");
      expect(forged.status, path).toBe(403);
      expect(forged.headers.get("link"), path).toBeNull();
    }
  });

  it("a viewer with a grant gets short-lived TURN credentials of its own, signed with coturn's shared secret", async () => {
    const grant = await stack.api("POST", `/api/v1/devices/${camera.deviceId}/view`, { token: family });
    expect(grant.status).toBe(200);
    const reply = await options(grant.body.whepUrl, grant.body.token);
    expect(reply.status).toBe(204);
    const [turn] = turnLinks(reply.headers.get("link"));
    expect(reply.headers.get("link")).toContain("stun:stun.example.cn:3478");
    const [expiry, who] = turn!.username.split(":");
    const nowS = Date.now() / 1000;
    expect(Number(expiry)).toBeGreaterThan(nowS + TTL_S - 30);
    expect(Number(expiry)).toBeLessThanOrEqual(nowS + TTL_S + 1);
    expect(who).toMatch(/^viewer-/);
    expect(turn!.credential).toBe(createHmac("sha1", TURN_SECRET).update(turn!.username).digest("base64"));
    // The grant itself carries the same kind of credentials (the app's own player uses them).
    const granted = grant.body.iceServers.find((s: { urls: string | string[] }) => String(s.urls).includes("turn:"));
    expect(granted.username).toMatch(/^\d+:viewer-/);
    expect(granted.credential).toBe(createHmac("sha1", TURN_SECRET).update(granted.username).digest("base64"));
  });

  it("/metrics shows each relay worker's resource usage and what it carries", async () => {
    const text = await (await fetch(`${stack.httpUrl}/metrics`)).text();
    for (const measure of [
      "cpu_user_seconds",
      "max_rss_bytes",
      "routers",
      "transports",
      "producers",
      "consumers",
      "restarts",
    ]) {
      expect(text, measure).toMatch(new RegExp(`wx_relay_worker\\{worker="0",measure="${measure}"\\} \\d`));
    }
  });
});
