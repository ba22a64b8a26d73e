// Text that cannot be stored is refused where it arrives, with a clear code, and takes nothing down with it:
// a NUL character, or an unpaired UTF-16 surrogate (JSON's "\ud800" alone), in an HTTP body or a camera's
// heartbeat. The surrogate once reached Prisma from the sign-in form and came back as a 500 (fuzzing found it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceTelemetryTopic } from "../protocol/topics.ts";
import { connectAsDevice, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe("text that cannot be stored", () => {
  it("an HTTP body with an unpaired surrogate or a NUL is refused with its code, before any route runs", async () => {
    for (const [username, code] of [
      ["\\ud800", "unpaired-surrogate"],
      ["x\\udc00y", "unpaired-surrogate"],
      ["a\\u0000b", "nul-character"],
    ] as const) {
      // Written by hand: the escape must reach the server as those six characters.
      const reply = await fetch(`${stack.httpUrl}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"username":"${username}","password":"not-the-password"}`,
      });
      expect(reply.status).toBe(400);
      expect(await reply.json()).toMatchObject({ error: code, message: expect.any(String) });
    }
    const paired = await stack.api("POST", "/api/v1/auth/login", {
      body: { username: "家人😀", password: "not-the-password" },
    });
    expect(paired.status).toBe(401); // a real surrogate pair is a character like any other
  });

  it("a heartbeat with an unpaired surrogate is refused and counted; the camera's next one is stored", async () => {
    const camera = await installDemoCamera(stack, 0);
    const client = await connectAsDevice(stack, camera.deviceId, camera.password);
    const heartbeat = (firmware: string) =>
      `{"at":"${new Date().toISOString()}","uptimeS":10,"rssi":-60,"temperatureC":30,"firmware":"${firmware}","freeStorageMb":100,"privacy":false}`;
    await client.publishAsync(deviceTelemetryTopic(camera.deviceId), heartbeat("1.0\\ud800"), { qos: 1 });
    await client.publishAsync(deviceTelemetryTopic(camera.deviceId), heartbeat("1.0.1"), { qos: 1 });
    const stored = await waitFor("the good heartbeat stored", async () => {
      const samples = await stack.db.telemetrySample.findMany({ where: { deviceId: camera.deviceId } });
      return samples.length > 0 ? samples : null;
    });
    expect(stored.map((s) => s.firmware)).toEqual(["1.0.1"]);
    const metrics = (await stack.api("GET", "/metrics")).body as string;
    expect(metrics).toMatch(/wx_mqtt_invalid_payloads_total\{[^}]*\} [1-9]/);
    await client.endAsync();
  });
});
