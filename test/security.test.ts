// Transport security, response headers, CORS, token lifetime and revocation, and secrets kept out of logs.
import { rmSync } from "node:fs";
import { request } from "node:https";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceStatusTopic } from "../protocol/topics.ts";
import WebSocket from "ws";
import {
  connectAsDevice,
  demoPassword,
  installDemoCamera,
  startStack,
  waitFor,
  type Stack,
  type TestJson,
} from "./helpers/stack.ts";
import { createHouseholdWithFamily, openLiveSocket, registerAndClaim } from "./helpers/security-fixtures.ts";
import { readGatewayConfig } from "../gateway/src/config.ts";
import { startNodeViewer } from "./relay-stack.ts";
import { startStreamingHousehold, type StreamingHousehold } from "./helpers/streaming-household.ts";
import { makeTestCertificates, type TestCertificates } from "./helpers/test-ca.ts";
import { commandRequestMessage, deviceCommandResponseTopic, deviceCommandTopic } from "../protocol/index.ts";
import { defaultStillFiles } from "../firmware-sim/src/stills.ts";
import { readFile } from "node:fs/promises";

/**
 * A family member asks for a still; the plain MQTT camera uploads it to its one-time URL (the token in the path)
 * and answers. Returns the upload token, a secret the log must not hold.
 */
async function uploadSnapshotAsCamera(stack: Stack, client: mqtt.MqttClient, deviceId: string): Promise<string> {
  await waitFor(
    "the camera online",
    async () => (await stack.db.device.findUnique({ where: { id: deviceId } }))?.connection === "online",
  );
  await client.subscribeAsync(deviceCommandTopic(deviceId), { qos: 1 });
  const uploaded = new Promise<string>((resolve, reject) => {
    client.on("message", (_topic, payload) => {
      const command = commandRequestMessage.parse(JSON.parse(String(payload)));
      if (command.name !== "take-snapshot") return;
      const { uploadUrl } = command.params;
      readFile(defaultStillFiles[0]!)
        .then((still) => fetch(uploadUrl, { method: "PUT", headers: { "content-type": "image/jpeg" }, body: still }))
        .then(async (response) => {
          expect(response.status).toBe(201);
          await client.publishAsync(
            deviceCommandResponseTopic(deviceId),
            JSON.stringify({ correlationId: command.correlationId, ok: true, result: {} }),
          );
          resolve(uploadUrl.split("/").pop()!);
        })
        .catch(reject);
    });
  });
  const asked = await stack.api("POST", `/api/v1/devices/${deviceId}/snapshots`, {
    token: await stack.login("family"),
  });
  expect(asked.status).toBe(201);
  return uploaded;
}

function httpsJson(
  url: string,
  ca: Buffer,
  method = "GET",
  body?: unknown,
): Promise<{ status: number; body: TestJson; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers: body ? { "content-type": "application/json" } : {} }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, headers: res.headers }),
      );
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
    const login = await httpsJson(`${httpsUrl}/api/v1/auth/login`, certs.ca, "POST", {
      username: "installer",
      password: demoPassword,
    });
    expect(login.status).toBe(200);

    const box = stack.seed.cameras[0]!;
    const claim = await httpsJson(`${httpsUrl}/api/v1/devices/claim`, certs.ca, "POST", {
      serial: box.serial,
      claimCode: box.claimCode,
    });
    expect(claim.body.mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const client = mqtt.connect(claim.body.mqttUrl, {
      ca: certs.ca,
      clientId: claim.body.deviceId,
      username: claim.body.deviceId,
      password: claim.body.mqttPassword,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    await client.publishAsync(
      deviceStatusTopic(claim.body.deviceId),
      JSON.stringify({ state: "online", at: new Date().toISOString() }),
      { qos: 1, retain: true },
    );
    await waitFor(
      "online over TLS",
      async () => (await stack.db.device.findUnique({ where: { id: claim.body.deviceId } }))?.connection === "online",
    );
    await client.endAsync();
  });

  it("refuses a client that does not trust the server's certificate", async () => {
    await expect(httpsJson(`${httpsUrl}/healthz`, Buffer.from(""))).rejects.toThrow(
      /self-signed|unable to verify|certificate/i,
    );
  });
});

describe("headers, CORS, tokens and logs", () => {
  let stack: Stack;
  const logLines: string[] = [];
  beforeAll(async () => {
    stack = await startStack(
      { LOG_LEVEL: "debug", SESSION_TTL_S: "1.5", CORS_ORIGINS: "https://app.wangxiang.example" },
      { logStream: { write: (line) => void logLines.push(line) } },
    );
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
    const evil = await fetch(`${stack.httpUrl}/api/v1/auth/login`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const ours = await fetch(`${stack.httpUrl}/api/v1/auth/login`, {
      method: "OPTIONS",
      headers: { origin: "https://app.wangxiang.example", "access-control-request-method": "POST" },
    });
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

  it("never writes passwords, claim codes, device credentials, invite codes or tokens to the log, whatever route carries them", async () => {
    const camera = await installDemoCamera(stack, 1);
    const client = await connectAsDevice(stack, camera.deviceId, camera.password);
    const token = await stack.login("installer"); // sessions last 1.5 s here: used at once
    const invite = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/invites`, {
      token,
      body: { maxUses: 3 },
    });
    const code: string = invite.body.code;
    await stack.api("POST", "/api/v1/auth/login", { body: { username: "installer", password: "wrong-password-xyz" } });
    await stack.api("POST", "/api/v1/devices/claim", { body: { serial: camera.serial, claimCode: camera.claimCode } }); // reused: refused and logged
    await stack.api("GET", "/api/v1/fleet/summary", { token });
    // Every route that carries a secret in its URL: the live socket as old clients opened it, the viewer page
    // as it used to be linked, the join page and the invite preview (code in the path), registering with a code.
    const refused = new WebSocket(`${stack.httpUrl.replace("http", "ws")}/api/v1/live?token=${token}`);
    const refusal = await new Promise<{ code: number; reason: string }>((resolve) =>
      refused.on("close", (c, r) => resolve({ code: c, reason: String(r) })),
    );
    expect(refusal).toEqual({ code: 4401, reason: "unauthorized" }); // a token in the URL is not accepted
    await fetch(`${stack.httpUrl}/viewer/?camera=${camera.deviceId}&token=${token}`);
    await fetch(`${stack.httpUrl}/join/${code}`);
    await stack.api("GET", `/api/v1/invites/${code}`);
    await stack.api("GET", `/api/v1/invites/${code.replace("-", "")}`);
    await stack.api("POST", "/api/v1/auth/register", {
      body: { username: "log-test-worker", password: "worker-password-1", displayName: "x", inviteCode: code },
    });
    const secondToken = await stack.login("staff");
    const secondSocket = await openLiveSocket(stack, secondToken);
    secondSocket.socket.close();
    const uploadToken = await uploadSnapshotAsCamera(stack, client, camera.deviceId);
    client.end(true);
    // The log is read when it has caught up: the line for a last request, not a fixed sleep.
    const marker = `/api/v1/log-barrier-${Date.now()}`;
    await stack.api("GET", marker);
    const entries = () =>
      logLines.map((line) => JSON.parse(line) as { reqId?: string; msg?: string; req?: { url?: string } });
    const markerId = (await waitFor(
      "the barrier request in the log",
      () => entries().find((e) => e.req?.url === marker)?.reqId,
    )) as string;
    await waitFor("the log to catch up", () =>
      entries().some((e) => e.reqId === markerId && e.msg === "request completed"),
    );
    const log = logLines.join("");
    expect(log.length).toBeGreaterThan(1000); // debug logging really ran
    expect(log).toContain("/join/[redacted]");
    expect(log).toContain("/api/v1/live?token=[redacted]");
    expect(log).toContain(`/api/v1/devices/${camera.deviceId}/snapshot-uploads/[redacted]`);
    for (const secret of [
      demoPassword,
      "wrong-password-xyz",
      "worker-password-1",
      camera.claimCode,
      camera.claimCode.replace("-", ""),
      camera.password,
      token,
      secondToken,
      code,
      code.replace("-", ""),
      uploadToken,
    ]) {
      expect(log.includes(secret), `secret found in log: ${secret.slice(0, 4)}…`).toBe(false);
    }
  });

  it("closes the live socket when its session expires, saying so", async () => {
    // SESSION_TTL_S is the work roles' lifetime; a family member's slides on for 30 days of use (sessions.ts).
    const socket = await openLiveSocket(stack, await stack.login("installer"));
    expect(await socket.closed).toEqual({ code: 4401, reason: "session-expired" });
  });
});

describe("guessing, forged addresses, sessions, accounts and metrics (issue 9)", () => {
  let stack: Stack;
  const METRICS_TOKEN = "metrics-token-for-the-test-0123";
  // The test talks through a "proxy" at 127.0.0.1 (TRUST_PROXY), so it can speak from several client addresses.
  const from = (address: string) => ({ "x-forwarded-for": address });
  const login = (username: string, password: string, address: string) =>
    stack.api("POST", "/api/v1/auth/login", { body: { username, password }, headers: from(address) });
  beforeAll(async () => {
    stack = await startStack({
      TRUST_PROXY: "127.0.0.1",
      LOGIN_FAILURES_PER_15_MIN: "3",
      CLAIM_FAILURES_PER_15_MIN: "3",
      METRICS_TOKEN,
    });
  });
  afterAll(() => stack.stop());

  it("TRUST_PROXY: a list of addresses or CIDRs, none by default; anything else is refused by name", () => {
    expect(readGatewayConfig({}).TRUST_PROXY).toEqual([]);
    expect(readGatewayConfig({ TRUST_PROXY: "10.0.0.5, 10.1.0.0/16,fd00::/8" }).TRUST_PROXY).toEqual([
      "10.0.0.5",
      "10.1.0.0/16",
      "fd00::/8",
    ]);
    for (const bad of ["true", "10.0.0.0/33", "proxy.example.cn", "*"])
      expect(() => readGatewayConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
  });

  it("X-Forwarded-For from a client that is not a listed proxy is ignored: forging it does not dodge the per-address limit", async () => {
    const direct = await startStack({ LOGIN_FAILURES_PER_15_MIN: "1" }); // no TRUST_PROXY: per address 10 failures
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await direct.api("POST", "/api/v1/auth/login", {
          body: { username: `nobody${i}`, password: "x" },
          headers: { "x-forwarded-for": `198.18.0.${i}` },
        });
        statuses.push(res.status);
      }
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual([429, 429]);
    } finally {
      await direct.stop();
    }
  });

  it("nobody can lock the staff out: a guesser is slowed, the right password from elsewhere still signs in", async () => {
    const attacker = "203.0.113.66";
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login("staff", `guess-${i}`, attacker)).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    const slowed = await login("staff", demoPassword, attacker);
    expect(slowed.status).toBe(429);
    expect(
      Number(
        (
          await fetch(`${stack.httpUrl}/api/v1/auth/login`, {
            method: "POST",
            headers: { "content-type": "application/json", ...from(attacker) },
            body: JSON.stringify({ username: "staff", password: "x" }),
          })
        ).headers.get("retry-after"),
      ),
    ).toBeGreaterThan(0);
    expect((await login("staff", demoPassword, "198.51.100.20")).status).toBe(200);
  });

  it("parallel guesses are counted before the slow hash: at most the allowance is checked", async () => {
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login("installer", `parallel-${i}`, "203.0.113.77")),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
  });

  it("claims: an unknown serial and a wrong code are answered alike, and a guesser cannot block the real camera", async () => {
    const box = stack.seed.cameras[0]!;
    const claim = (serial: string, claimCode: string, address: string) =>
      stack.api("POST", "/api/v1/devices/claim", { body: { serial, claimCode }, headers: from(address) });
    const unknown = await claim("WX-DEMO-999999", "AAAA-AAAA", "203.0.113.90");
    const wrong = await claim(box.serial, "AAAA-AAAA", "203.0.113.91");
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: wrong.status, body: wrong.body });
    expect(wrong.body.error).toBe("claim-code-wrong");
    for (let i = 0; i < 5; i++) await claim(box.serial, "BBBB-BBBB", "203.0.113.92");
    expect((await claim(box.serial, "BBBB-BBBB", "203.0.113.92")).status).toBe(429);
    const real = await claim(box.serial, box.claimCode, "198.51.100.30");
    expect(real.status).toBe(200);
  });

  it("an installer's wrong claim codes when binding or replacing are limited too", async () => {
    const installer = await stack.login("installer");
    const box = stack.seed.cameras[1]!;
    const bind = (claimCode: string) =>
      stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
        token: installer,
        body: { serial: box.serial, claimCode },
        headers: from("203.0.113.95"),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await bind(`CCC${i}-CCCC`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it("the live socket closes, with its reason, on logout, on a password change elsewhere and when staff disable the account", async () => {
    const staff = await stack.login("staff");
    const created = await stack.api("POST", "/api/v1/users", {
      token: staff,
      body: { username: "installer-wu", displayName: "安装员 吴", password: "wu-password-long-1", role: "installer" },
    });
    expect(created.status).toBe(201);
    const open = async () => openLiveSocket(stack, await stack.login("installer-wu", "wu-password-long-1"));

    const first = await open();
    const token1 = (
      await stack.api("POST", "/api/v1/auth/login", {
        body: { username: "installer-wu", password: "wu-password-long-1" },
      })
    ).body.token;
    const byLogout = await openLiveSocket(stack, token1);
    expect((await stack.api("POST", "/api/v1/auth/logout", { token: token1 })).status).toBe(204);
    expect(await byLogout.closed).toEqual({ code: 4401, reason: "signed-out" });

    const keeper = await stack.login("installer-wu", "wu-password-long-1");
    const changed = await stack.api("POST", "/api/v1/auth/password", {
      token: keeper,
      body: { currentPassword: "wu-password-long-1", newPassword: "wu-password-long-2" },
    });
    expect(changed.status).toBe(204);
    expect(await first.closed).toEqual({ code: 4401, reason: "password-changed" });
    expect(
      (
        await stack.api("POST", "/api/v1/auth/login", {
          body: { username: "installer-wu", password: "wu-password-long-1" },
        })
      ).status,
    ).toBe(401);
    expect((await stack.api("GET", "/api/v1/auth/me", { token: keeper })).status).toBe(200);

    const last = await openLiveSocket(stack, keeper);
    expect((await stack.api("POST", `/api/v1/users/${created.body.id}/disable`, { token: staff })).status).toBe(200);
    expect(await last.closed).toEqual({ code: 4401, reason: "account-disabled" });
    expect((await stack.api("GET", "/api/v1/auth/me", { token: keeper })).status).toBe(401);
    expect(
      (
        await stack.api("POST", "/api/v1/auth/login", {
          body: { username: "installer-wu", password: "wu-password-long-2" },
        })
      ).status,
    ).toBe(401);
    expect((await stack.api("POST", `/api/v1/users/${created.body.id}/enable`, { token: staff })).status).toBe(200);
    expect(
      (
        await stack.api("POST", "/api/v1/auth/login", {
          body: { username: "installer-wu", password: "wu-password-long-2" },
        })
      ).status,
    ).toBe(200);
  });

  it("account management: staff create installer and staff accounts; nobody else does; a household member can be removed", async () => {
    const staff = await stack.login("staff");
    const installer = await stack.login("installer");
    const family = await stack.login("family");
    for (const token of [installer, family]) {
      expect(
        (
          await stack.api("POST", "/api/v1/users", {
            token,
            body: { username: "sneaky", displayName: "x", password: "sneaky-password", role: "staff" },
          })
        ).status,
      ).toBe(403);
      expect((await stack.api("GET", "/api/v1/users", { token })).status).toBe(403);
    }
    const made = await stack.api("POST", "/api/v1/users", {
      token: staff,
      body: { username: "staff-two", displayName: "值班员 二", password: "staff-two-password", role: "staff" },
    });
    expect(made.body).toMatchObject({ role: "staff", disabledAt: null });
    expect(
      (
        await stack.api("POST", "/api/v1/users", {
          token: staff,
          body: { username: "staff-two", displayName: "x", password: "staff-two-password", role: "staff" },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await stack.api("POST", "/api/v1/users", {
          token: staff,
          body: { username: "fam", displayName: "x", password: "family-pass-1", role: "family" },
        })
      ).status,
    ).toBe(400);

    // A member removed by staff loses the home at once: HTTP and the live socket.
    const other = await createHouseholdWithFamily(stack, {
      village: "青平镇普仁村",
      elderName: "赵奶奶",
      username: "zhao-son",
      displayName: "赵儿子",
    });
    const socket = await openLiveSocket(stack, other.familyToken);
    const camera = await registerAndClaim(stack, "WX-2026-MOVE01");
    await stack.api("POST", `/api/v1/devices/${camera.deviceId}/move`, {
      token: staff,
      body: { householdId: other.householdId },
    });
    expect(
      (await stack.api("DELETE", `/api/v1/households/${other.householdId}/members/${other.userId}`, { token: family }))
        .status,
    ).toBe(403);
    expect(
      (await stack.api("DELETE", `/api/v1/households/${other.householdId}/members/${other.userId}`, { token: staff }))
        .status,
    ).toBe(204);
    expect(
      (await stack.api("GET", `/api/v1/households/${other.householdId}`, { token: other.familyToken })).status,
    ).toBe(404);
    expect((await stack.api("GET", `/api/v1/devices/${camera.deviceId}`, { token: other.familyToken })).status).toBe(
      404,
    );
    socket.socket.send(JSON.stringify({ type: "ping", id: "after-removal" }));
    await waitFor("pong", () => socket.messages.some((m) => m.type === "pong"));
    const staffSocket = await openLiveSocket(stack, staff);
    const client = await connectAsDevice(stack, camera.deviceId, camera.password);
    client.end(true);
    await waitFor("staff hear it go", () =>
      staffSocket.messages.some(
        (m) => m.type === "device.connection" && m.deviceId === camera.deviceId && m.state === "offline",
      ),
    );
    expect(socket.messages.filter((m) => m.deviceId === camera.deviceId)).toEqual([]);
    socket.socket.close();
    staffSocket.socket.close();
  });

  it("/metrics needs METRICS_TOKEN as a bearer token", async () => {
    expect((await stack.api("GET", "/metrics")).status).toBe(401);
    expect(
      (await stack.api("GET", "/metrics", { headers: { authorization: "Bearer not-the-metrics-token-0000000" } }))
        .status,
    ).toBe(401);
    const ok = await stack.api("GET", "/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(String(ok.body)).toContain("wx_http_request_duration_seconds");
  });
});

describe("/metrics without METRICS_TOKEN", () => {
  it("answers this machine only, not a client behind the proxy", async () => {
    const stack = await startStack({ TRUST_PROXY: "127.0.0.1" });
    try {
      expect((await stack.api("GET", "/metrics")).status).toBe(200);
      expect((await stack.api("GET", "/metrics", { headers: { "x-forwarded-for": "203.0.113.5" } })).status).toBe(403);
    } finally {
      await stack.stop();
    }
  });
});

describe("a camera that changes hands (issue 9)", () => {
  let household: StreamingHousehold;
  beforeAll(async () => {
    household = await startStreamingHousehold();
  }, 60_000);
  afterAll(() => household.stop());

  it("moving it cuts its viewers at once, and the new household does not see who watched in the old one", async () => {
    const { stack, deviceId } = household;
    const staff = await stack.login("staff");
    const familyA = await stack.login("family");
    const grant = await stack.api("POST", `/api/v1/devices/${deviceId}/view`, { token: familyA });
    expect(grant.status).toBe(200);
    const viewer = await startNodeViewer(`${stack.httpUrl}${grant.body.whepUrl}`, grant.body.token);
    const liveView = stack.gateway.liveView!;
    await waitFor("the viewer joined", () => liveView.viewers(deviceId).length === 1);
    expect(
      (await stack.api("GET", `/api/v1/devices/${deviceId}/view-log`, { token: familyA })).body.items,
    ).toHaveLength(1);

    const b = await createHouseholdWithFamily(stack, {
      village: "沙湾区踏水镇",
      elderName: "钱奶奶",
      username: "qian-son",
      displayName: "钱儿子",
    });
    expect(
      (
        await stack.api("POST", `/api/v1/devices/${deviceId}/move`, {
          token: staff,
          body: { householdId: b.householdId },
        })
      ).status,
    ).toBe(200);
    await waitFor("the old household's viewer is cut", () => liveView.viewers(deviceId).length === 0, 5_000);
    const entries = (await stack.api("GET", `/api/v1/devices/${deviceId}/view-log`, { token: staff })).body.items;
    await waitFor(
      "the view log closed",
      async () => (await stack.db.viewSession.findFirst({ where: { deviceId } }))?.endReason === "camera-moved",
    );
    expect(entries).toHaveLength(1);
    expect(
      (await stack.api("GET", `/api/v1/devices/${deviceId}/view-log`, { token: b.familyToken })).body.items,
    ).toEqual([]);
    expect(
      (await stack.api("GET", `/api/v1/households/${b.householdId}/view-log`, { token: b.familyToken })).body.items,
    ).toEqual([]);
    expect((await stack.api("GET", `/api/v1/devices/${deviceId}/view-log`, { token: familyA })).status).toBe(404);
    await viewer.stop();
  }, 30_000);
});
