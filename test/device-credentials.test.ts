// Device credentials: stored as HMAC-SHA-256 under the deployment's key, checked from the broker's in-memory
// index (no database round trip per CONNECT), and moved over from scrypt when a camera next connects.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WangxiangBroker } from "../broker/src/broker.ts";
import { credentialKeyName } from "../core/device-credentials.ts";
import { hashSecret } from "../core/secrets.ts";
import { connectAsDevice, installDemoCamera, startStack, type Stack } from "./helpers/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const storedHash = async (deviceId: string) =>
  (await stack.db.device.findUniqueOrThrow({ where: { id: deviceId } })).credentialHash;

describe("device credentials", () => {
  it("keeps the generated key in the database, and stores a claimed credential as an HMAC under it", async () => {
    const key = await stack.db.serverKey.findUniqueOrThrow({ where: { name: credentialKeyName } });
    expect(Buffer.from(key.value, "base64")).toHaveLength(32);
    const camera = await installDemoCamera(stack, 0);
    expect(await storedHash(camera.deviceId)).toMatch(/^hmac-sha256\$[0-9a-f]{8}\$[A-Za-z0-9+/]{43}=$/);
    (await connectAsDevice(stack, camera.deviceId, camera.password)).end(true);
  });

  it("re-hashes a camera's old scrypt credential to HMAC when it next connects, and still refuses a wrong one", async () => {
    const camera = await installDemoCamera(stack, 1);
    const broker = stack.gateway.broker as WangxiangBroker;
    const legacy = await hashSecret(camera.password, "device-credential");
    await stack.db.device.update({ where: { id: camera.deviceId }, data: { credentialHash: legacy } });
    broker.disconnectDevice(camera.deviceId); // the index forgets what it held; the next CONNECT reads the database

    await expect(connectAsDevice(stack, camera.deviceId, "not-the-password")).rejects.toMatchObject({ code: 5 });
    expect(await storedHash(camera.deviceId)).toBe(legacy);
    (await connectAsDevice(stack, camera.deviceId, camera.password)).end(true);
    expect(await storedHash(camera.deviceId)).toMatch(/^hmac-sha256\$/);
    (await connectAsDevice(stack, camera.deviceId, camera.password)).end(true);
  });

  it("loads every claimed credential at start: a restarted broker admits cameras without asking the database", async () => {
    const camera = await installDemoCamera(stack, 2);
    const broker = stack.gateway.broker as WangxiangBroker;
    await broker.stop();
    await broker.start();
    // The database no longer answers; the index does.
    await stack.db.device.update({ where: { id: camera.deviceId }, data: { credentialHash: null } });
    const client = await connectAsDevice(stack, camera.deviceId, camera.password, { port: broker.port });
    client.end(true);
    broker.disconnectDevice(camera.deviceId);
    await expect(connectAsDevice(stack, camera.deviceId, camera.password, { port: broker.port })).rejects.toMatchObject(
      { code: 5 },
    );
  });
});
