// Load worker for bench/cluster-bench.ts (forked): holds many camera connections spread over the brokers,
// then publishes heartbeats at a given rate. IPC: {type:"connect"} → {type:"connected"}; {type:"beat"} → {type:"beaten"}.
import mqtt, { type MqttClient } from "mqtt";

interface Connect {
  type: "connect";
  cameras: { deviceId: string; password: string }[];
  brokerUrls: string[];
  inFlight: number;
}
interface Beat {
  type: "beat";
  ratePerS: number;
  durationS: number;
}

const clients: MqttClient[] = [];

function connectOne(url: string, deviceId: string, password: string): Promise<MqttClient | null> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, {
      clientId: deviceId,
      username: deviceId,
      password,
      protocolVersion: 4,
      keepalive: 120,
      reconnectPeriod: 0,
      connectTimeout: 60_000,
    });
    client.once("connect", () => resolve(client));
    client.once("error", () => {
      client.end(true);
      resolve(null);
    });
  });
}

process.on("message", async (m: Connect | Beat) => {
  if (m.type === "connect") {
    const started = performance.now();
    let next = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: m.inFlight }, async () => {
        while (next < m.cameras.length) {
          const i = next++;
          const camera = m.cameras[i]!;
          const client = await connectOne(m.brokerUrls[i % m.brokerUrls.length]!, camera.deviceId, camera.password);
          if (client) clients.push(client);
          else failed++;
        }
      }),
    );
    process.send!({
      type: "connected",
      connected: clients.length,
      failed,
      seconds: (performance.now() - started) / 1000,
    });
  } else if (m.type === "beat") {
    const payload = (id: string) =>
      JSON.stringify({
        at: new Date().toISOString(),
        uptimeS: 100,
        rssi: -60,
        temperatureC: 40,
        firmware: "1.4.2",
        freeStorageMb: 900,
        privacy: false,
        id,
      });
    const tickMs = 50;
    const perTick = (m.ratePerS * tickMs) / 1000;
    let sent = 0;
    let carry = 0;
    let cursor = 0;
    const end = Date.now() + m.durationS * 1000;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (Date.now() >= end) {
          clearInterval(timer);
          resolve();
          return;
        }
        carry += perTick;
        for (; carry >= 1; carry--) {
          const client = clients[cursor++ % clients.length]!;
          client.publish(`devices/${client.options.clientId}/telemetry`, payload(client.options.clientId!), { qos: 0 });
          sent++;
        }
      }, tickMs);
    });
    process.send!({ type: "beaten", sent });
  }
});
process.send!({ type: "ready" });
