import { afterAll, beforeAll, expect, it } from "vitest";
import { TelemetryRetention } from "../gateway/src/device-plane/telemetry-retention.ts";
import { installDemoCamera, startStack, type Stack } from "./helpers/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

it("keeps heartbeats for the retention period and deletes older ones", async () => {
  const { deviceId } = await installDemoCamera(stack, 0);
  const day = 86_400_000;
  const sample = (ageDays: number) => ({
    deviceId,
    at: new Date(Date.now() - ageDays * day),
    uptimeS: 1,
    rssi: -60,
    temperatureC: 40,
    firmware: "1.0.0",
    freeStorageMb: 100,
  });
  await stack.db.telemetrySample.createMany({ data: [sample(31), sample(40), sample(29), sample(1)] });
  const retention = new TelemetryRetention(stack.db, 30 * day, { error() {} });
  expect(await retention.prune()).toBe(2);
  expect(await stack.db.telemetrySample.count({ where: { deviceId } })).toBe(2);
});
