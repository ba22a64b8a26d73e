import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installDemoCamera, startStack, type Stack } from "./helpers/stack.ts";

describe("provisioning and claim", () => {
  let stack: Stack;
  let installer: string;
  let staff: string;
  beforeAll(async () => {
    stack = await startStack();
    installer = await stack.login("installer");
    staff = await stack.login("staff");
  });
  afterAll(() => stack.stop());

  it("an installer creates a household once, even when the request is retried", async () => {
    const body = {
      village: "青平镇普仁村",
      elderName: "王秀英",
      contactPhone: "13900000001",
      requestId: "6f1c3c8e-4a0b-4d7e-9a47-1e7c0b9d2f11",
    };
    const first = await stack.api("POST", "/api/v1/households", { token: installer, body });
    const retry = await stack.api("POST", "/api/v1/households", { token: installer, body });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(first.body.id);
  });

  it("refuses a household without a village, with a reason", async () => {
    const res = await stack.api("POST", "/api/v1/households", {
      token: installer,
      body: { elderName: "x", contactPhone: "13900000001" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid-request");
    expect(res.body.message).toMatch(/village/);
  });

  it("claims once: good, then reused; wrong code; unknown serial", async () => {
    const camera = stack.seed.cameras[1]!;
    const wrong = await stack.api("POST", "/api/v1/devices/claim", {
      body: { serial: camera.serial, claimCode: "AAAA-AAAA" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe("claim-code-wrong");

    const good = await stack.api("POST", "/api/v1/devices/claim", {
      body: { serial: camera.serial, claimCode: camera.claimCode },
    });
    expect(good.status).toBe(200);
    expect(good.body.mqttUsername).toBe(good.body.deviceId);
    expect(good.body.mqttPassword.length).toBeGreaterThan(30);
    expect(good.body.mqttUrl).toBe(`mqtt://127.0.0.1:${stack.mqttPort}`);
    const stored = await stack.db.device.findUniqueOrThrow({ where: { id: good.body.deviceId } });
    expect(stored.credentialHash).toMatch(/^hmac-sha256\$[0-9a-f]{8}\$/);
    expect(stored.credentialHash).not.toContain(good.body.mqttPassword);

    const reused = await stack.api("POST", "/api/v1/devices/claim", {
      body: { serial: camera.serial, claimCode: camera.claimCode },
    });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toBe("claim-code-used");

    // An unknown serial is answered like a wrong code: a guesser learns nothing about which serials exist.
    const unknown = await stack.api("POST", "/api/v1/devices/claim", {
      body: { serial: "WX-NOPE-000000", claimCode: "AAAA-AAAA" },
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe("claim-code-wrong");
  });

  it("a revoked camera cannot claim; re-armed by staff it can, once", async () => {
    const { deviceId, serial, claimCode } = await installDemoCamera(stack, 2);
    expect((await stack.api("POST", `/api/v1/devices/${deviceId}/revoke`, { token: installer })).status).toBe(403);
    const revoked = await stack.api("POST", `/api/v1/devices/${deviceId}/revoke`, { token: staff });
    expect(revoked.status).toBe(200);
    expect(revoked.body.claimState).toBe("revoked");
    const refused = await stack.api("POST", "/api/v1/devices/claim", { body: { serial, claimCode } });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("device-revoked");

    expect((await stack.api("POST", `/api/v1/devices/${deviceId}/rearm`, { token: installer })).status).toBe(403);
    expect((await stack.api("POST", `/api/v1/devices/${deviceId}/rearm`, { token: staff })).status).toBe(200);
    expect((await stack.api("POST", "/api/v1/devices/claim", { body: { serial, claimCode } })).status).toBe(200);
  });

  it("binds by QR text, moves, replaces and removes cameras", async () => {
    const registered = await stack.api("POST", "/api/v1/devices", {
      token: installer,
      body: { serial: "WX-TEST-QR0001" },
    });
    expect(registered.status).toBe(201);
    expect(registered.body.claimCode).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const household = stack.seed.householdId;
    const bound = await stack.api("POST", `/api/v1/households/${household}/devices`, {
      token: installer,
      body: { qr: registered.body.qr, label: "堂屋" },
    });
    expect(bound.status).toBe(200);
    expect(bound.body).toMatchObject({
      householdId: household,
      label: "堂屋",
      claimState: "registered",
      village: "青平镇普仁村",
    });
    // Binding again is harmless (a retried request on a weak network).
    expect(
      (
        await stack.api("POST", `/api/v1/households/${household}/devices`, {
          token: installer,
          body: { qr: registered.body.qr },
        })
      ).status,
    ).toBe(200);

    const badQr = await stack.api("POST", `/api/v1/households/${household}/devices`, {
      token: installer,
      body: { qr: "https://example.com" },
    });
    expect(badQr.status).toBe(400);
    expect(badQr.body.error).toBe("qr-unreadable");

    const other = await stack.api("POST", "/api/v1/households", {
      token: installer,
      body: { village: "青平镇红岩村", elderName: "李桂芳", contactPhone: "13900000002" },
    });
    const elsewhere = await stack.api("POST", `/api/v1/households/${other.body.id}/devices`, {
      token: installer,
      body: { qr: registered.body.qr },
    });
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.body.error).toBe("device-in-other-household");
    const moved = await stack.api("POST", `/api/v1/devices/${bound.body.id}/move`, {
      token: installer,
      body: { householdId: other.body.id },
    });
    expect(moved.body.village).toBe("青平镇红岩村");

    const spare = await stack.api("POST", "/api/v1/devices", { token: installer, body: { serial: "WX-TEST-QR0002" } });
    const replaced = await stack.api("POST", `/api/v1/devices/${bound.body.id}/replace`, {
      token: installer,
      body: { qr: spare.body.qr },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ serial: "WX-TEST-QR0002", householdId: other.body.id, label: "堂屋" });
    const old = await stack.api("GET", `/api/v1/devices/${bound.body.id}`, { token: installer });
    // An installer's replacement re-arms the old box; only staff revoke.
    expect(old.body).toMatchObject({ claimState: "registered", householdId: null });

    expect(
      (
        await stack.api("DELETE", `/api/v1/households/${other.body.id}/devices/${replaced.body.id}`, {
          token: installer,
        })
      ).status,
    ).toBe(204);
    const removed = await stack.api("GET", `/api/v1/devices/${replaced.body.id}`, { token: installer });
    expect(removed.body).toMatchObject({ householdId: null, claimState: "registered" });
  });

  it("needs a signed-in installer, and family members only see their own household", async () => {
    expect((await stack.api("POST", "/api/v1/devices", { body: { serial: "WX-TEST-QR0009" } })).status).toBe(401);
    const family = await stack.login("family");
    expect(
      (await stack.api("POST", "/api/v1/devices", { token: family, body: { serial: "WX-TEST-QR0009" } })).status,
    ).toBe(403);
    const mine = await stack.api("GET", "/api/v1/households", { token: family });
    expect(mine.body.items.map((h: { id: string }) => h.id)).toEqual([stack.seed.householdId]);
  });

  it("limits repeated wrong sign-ins", async () => {
    let last = 0;
    for (let i = 0; i < 12; i++)
      last = (await stack.api("POST", "/api/v1/auth/login", { body: { username: "staff", password: "nope-nope" } }))
        .status;
    expect(last).toBe(429);
  });
});
