// Transport security, response headers, CORS, token lifetime and revocation, and secrets kept out of logs.
import { rmSync } from "node:fs";
import { request } from "node:https";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceStatusTopic } from "../protocol/topics.ts";
import { connectAsDevice, demoPassword, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";
import { makeTestCertificates, type TestCertificates } from "./helpers/test-ca.ts";

function httpsJson(url: string, ca: Buffer, method = "GET", body?: unknown): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers: body ? { "content-type": "application/json" } : {} }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

describe("TLS for MQTT and HTTPS", () => {
  let certs: TestCertificates;
  let stack: Stack;
  let httpsUrl: string;
  beforeAll(async () => {
    certs = makeTestCertificates();
    stack = await startStack({ TLS_CERT_FILE: certs.certFile, TLS_KEY_FILE: certs.keyFile, MQTTS_PORT: "0" });
    httpsUrl = stack.httpUrl.replace("http:", "https:");
  });
  afterAll(async () => {
    await stack.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it("serves the API over HTTPS with HSTS, and hands cameras an mqtts:// address that works with their credentials", async () => {
    const health = await httpsJson(`${httpsUrl}/healthz`, certs.ca);
    expect(health.status).toBe(200);
    expect(health.headers["strict-transport-security"]).toMatch(/max-age=/);
    const login = await httpsJson(`${httpsUrl}/api/v1/auth/login`, certs.ca, "POST", { username: "installer", password: demoPassword });
    expect(login.status).toBe(200);

    const box = stack.seed.cameras[0]!;
    const claim = await httpsJson(`${httpsUrl}/api/v1/devices/claim`, certs.ca, "POST", { serial: box.serial, claimCode: box.claimCode });
    expect(claim.body.mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const client = mqtt.connect(claim.body.mqttUrl, {
      ca: certs.ca, clientId: claim.body.deviceId, username: claim.body.deviceId, password: claim.body.mqttPassword, protocolVersion: 4, reconnectPeriod: 0,
    });
    await new Promise<void>((resolve, reject) => { client.once("connect", () => resolve()); client.once("error", reject); });
    await client.publishAsync(deviceStatusTopic(claim.body.deviceId), JSON.stringify({ state: "online", at: new Date().toISOString() }), { qos: 1, retain: true });
    await waitFor("online over TLS", async () => (await stack.db.device.findUnique({ where: { id: claim.body.deviceId } }))?.connection === "online");
    await client.endAsync();
  });

  it("refuses a client that does not trust the server's certificate", async () => {
    await expect(httpsJson(`${httpsUrl}/healthz`, Buffer.from(""))).rejects.toThrow(/self-signed|unable to verify|certificate/i);
  });
});

describe("headers, CORS, tokens and logs", () => {
  let stack: Stack;
  const logLines: string[] = [];
  beforeAll(async () => {
    stack = await startStack({ LOG_LEVEL: "debug", SESSION_TTL_S: "1.5", CORS_ORIGINS: "https://app.wangxiang.example" }, { logStream: { write: (line) => void logLines.push(line) } });
  });
  afterAll(() => stack.stop());

  it("sends security headers on pages and API replies", async () => {
    for (const path of ["/", "/api/v1/fleet/summary", "/viewer/"]) {
      const res = await fetch(stack.httpUrl + path);
      expect(res.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(res.headers.get("permissions-policy"), path).toContain("microphone=(self)");
    }
  });

  it("allows only the configured browser origins", async () => {
    const evil = await fetch(`${stack.httpUrl}/api/v1/auth/login`, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const ours = await fetch(`${stack.httpUrl}/api/v1/auth/login`, { method: "OPTIONS", headers: { origin: "https://app.wangxiang.example", "access-control-request-method": "POST" } });
    expect(ours.headers.get("access-control-allow-origin")).toBe("https://app.wangxiang.example");
  });

  it("tokens expire and can be revoked", async () => {
    const token = await stack.login("staff");
    expect((await stack.api("GET", "/api/v1/auth/me", { token })).status).toBe(200);
    expect((await stack.api("POST", "/api/v1/auth/logout", { token })).status).toBe(204);
    expect((await stack.api("GET", "/api/v1/auth/me", { token })).status).toBe(401);
    const shortLived = await stack.login("staff");
    await new Promise((r) => setTimeout(r, 1600));
    const expired = await stack.api("GET", "/api/v1/auth/me", { token: shortLived });
    expect(expired.status).toBe(401);
  });

  it("never writes passwords, claim codes, device credentials or tokens to the log", async () => {
    const token = await stack.login("installer");
    const camera = await installDemoCamera(stack, 1);
    const client = await connectAsDevice(stack, camera.deviceId, camera.password);
    await stack.api("POST", "/api/v1/auth/login", { body: { username: "installer", password: "wrong-password-xyz" } });
    await stack.api("POST", "/api/v1/devices/claim", { body: { serial: camera.serial, claimCode: camera.claimCode } }); // reused: refused and logged
    await stack.api("GET", "/api/v1/fleet/summary", { token });
    client.end(true);
    await new Promise((r) => setTimeout(r, 200));
    const log = logLines.join("");
    expect(log.length).toBeGreaterThan(1000); // debug logging really ran
    for (const secret of [demoPassword, "wrong-password-xyz", camera.claimCode, camera.claimCode.replace("-", ""), camera.password, token]) {
      expect(log.includes(secret), `secret found in log: ${secret.slice(0, 4)}…`).toBe(false);
    }
  });
});
