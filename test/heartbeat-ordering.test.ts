// Heartbeats are written behind, in batches; a privacy or firmware change that arrives after a heartbeat
// must not be overwritten by that heartbeat's older values when its batch is written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceEventsTopic, deviceTelemetryTopic } from "../protocol/topics.ts";
import { connectAsDevice, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";

let stack: Stack;
beforeAll(async () => {
  // A long flush interval makes the window wide: the heartbeat waits 300 ms for its batch.
  stack = await startStack({ HEARTBEAT_FLUSH_MS: "300" });
});
afterAll(async () => {
  await stack?.stop();
});

const heartbeat = (privacy: boolean, firmware: string) =>
  JSON.stringify({
    at: new Date().toISOString(),
    uptimeS: 10,
    rssi: -60,
    temperatureC: 30,
    firmware,
    freeStorageMb: 100,
    privacy,
  });

describe("heartbeat batches and device events", () => {
  it("a privacy-changed or firmware-updated event after a heartbeat wins over that heartbeat's values", async () => {
    const camera = await installDemoCamera(stack, 0);
    const client = await connectAsDevice(stack, camera.deviceId, camera.password);
    await client.publishAsync(deviceTelemetryTopic(camera.deviceId), heartbeat(false, "1.0.0"), { qos: 1 });
    const at = new Date().toISOString();
    await client.publishAsync(
      deviceEventsTopic(camera.deviceId),
      JSON.stringify({ type: "privacy-changed", at, enabled: true, source: "button" }),
      { qos: 1 },
    );
    await client.publishAsync(
      deviceEventsTopic(camera.deviceId),
      JSON.stringify({ type: "firmware-updated", at, from: "1.0.0", to: "1.1.0" }),
      { qos: 1 },
    );
    await waitFor("heartbeat and both events stored", async () => {
      const device = await stack.db.device.findUniqueOrThrow({ where: { id: camera.deviceId } });
      const events = await stack.db.auditEntry.count({
        where: { subject: camera.deviceId, action: { in: ["device.privacy-changed", "device.firmware-updated"] } },
      });
      return device.lastHeartbeatAt !== null && events === 2;
    });
    await stack.gateway.heartbeats.flush();
    const device = await stack.db.device.findUniqueOrThrow({ where: { id: camera.deviceId } });
    expect({ privacy: device.privacy, firmware: device.firmware }).toEqual({ privacy: true, firmware: "1.1.0" });
    client.end(true);
  });
});
