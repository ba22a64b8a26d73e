// The stack both MQTT fuzzing files run against (fuzz-mqtt: payloads; fuzz-mqtt-packets: raw packets): the
// broker's connect limits lifted, since every fuzzed connection comes from 127.0.0.1, and one real camera, the
// sentinel, online before any counter is read.
import type { MqttClient } from "mqtt";
import { connectAsDevice, installDemoCamera, startStack, waitFor, type Stack } from "./stack.ts";

export interface Sentinel {
  deviceId: string;
  client: MqttClient;
  acked: number;
  sent: number;
  failed: number;
  closed: number;
  timer?: NodeJS.Timeout;
}

export async function startFuzzStack(connectTimeoutS: number): Promise<{ stack: Stack; sentinel: Sentinel }> {
  const stack = await startStack({
    MQTT_CONNECT_RATE: "1000000",
    MQTT_CONNECT_BURST: "1000000",
    // Every fuzzed connection comes from 127.0.0.1: the per-address limit has its own test (broker.test.ts).
    MQTT_CONNECT_RATE_PER_ADDRESS: "1000000",
    MQTT_CONNECT_BURST_PER_ADDRESS: "1000000",
    MQTT_CONNECT_TIMEOUT_S: String(connectTimeoutS),
    MQTT_KEEPALIVE_MAX_S: "60",
  });
  const camera = await installDemoCamera(stack, 0);
  // A keepalive that survives a busy test machine: this camera must not drop for reasons of its own.
  const client = await connectAsDevice(stack, camera.deviceId, camera.password, { keepalive: 30 });
  const sentinel: Sentinel = { deviceId: camera.deviceId, client, acked: 0, sent: 0, failed: 0, closed: 0 };
  client.on("close", () => void sentinel.closed++);
  // The camera's own "online" has reached the gateway before any counter is read.
  const staff = await stack.login("staff");
  await waitFor(
    "camera online",
    async () =>
      (await stack.api("GET", `/api/v1/devices/${camera.deviceId}`, { token: staff })).body.connection === "online",
  );
  return { stack, sentinel };
}

export async function stopFuzzStack(fuzz: { stack: Stack; sentinel: Sentinel } | undefined): Promise<void> {
  clearInterval(fuzz?.sentinel.timer);
  fuzz?.sentinel.client.end(true);
  await fuzz?.stack.stop();
}
