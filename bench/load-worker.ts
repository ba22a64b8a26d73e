// A child process of broker-bench.ts that plays a share of the cameras, so the load generator does not
// share an event loop with the broker it measures. Driven by IPC messages (bench/ipc.ts); each camera
// connects as firmware-sim does: clientId = username = deviceId, a retained last will on its status
// topic, a subscription to its cmd topic, then a retained online status (QoS 1).
import mqtt, { type MqttClient } from "mqtt";
import { deviceStatusMessage, heartbeatMessage } from "../protocol/device-messages.ts";
import { deviceCommandTopic, deviceStatusTopic, deviceTelemetryTopic } from "../protocol/topics.ts";
import {
  nowMs,
  type CameraCredential,
  type CloseReport,
  type ConnectReport,
  type FromWorker,
  type HeartbeatReport,
  type ToWorker,
} from "./ipc.ts";

interface Camera {
  deviceId: string;
  client: MqttClient;
  telemetryTopic: string;
  closed: boolean;
}

const cameras: Camera[] = [];
const bootAt = Date.now();

function send(message: FromWorker): void {
  process.send?.(message);
}

process.on("message", (message: ToWorker) => {
  const run = async () => {
    switch (message.type) {
      case "connect":
        send(await connectAll(message));
        return;
      case "heartbeats":
        send(await sendHeartbeats(message.ratePerS, message.durationMs, message.qos));
        return;
      case "close":
        send(await closeAll(message.clearRetained, message.timeoutMs));
        return;
      case "exit":
        process.disconnect?.();
        setTimeout(() => process.exit(0), 50).unref();
        return;
    }
  };
  run().catch((error: unknown) => send({ type: "error", message: (error as Error).stack ?? String(error) }));
});
// The parent died: do not linger with thousands of sockets open.
process.on("disconnect", () => {
  for (const camera of cameras) camera.client.end(true);
  setTimeout(() => process.exit(0), 200).unref();
});

function statusPayload(online: boolean, session: string): string {
  return JSON.stringify(
    deviceStatusMessage.parse({
      state: online ? "online" : "offline",
      at: new Date().toISOString(),
      reason: online ? "boot" : "lost",
      session,
      ...(online ? { firmware: "1.0.0" } : {}),
    }),
  );
}

async function connectAll(o: Extract<ToWorker, { type: "connect" }>): Promise<ConnectReport> {
  const report: ConnectReport = {
    type: "connected",
    attempted: o.cameras.length,
    connected: 0,
    online: 0,
    failed: 0,
    errorSamples: [],
    firstStartAt: nowMs(),
    lastConnackAt: 0,
    lastOnlineAt: 0,
    connackMs: [],
  };
  let next = 0;
  const runner = async () => {
    while (next < o.cameras.length) {
      const credential = o.cameras[next++]!;
      await connectCamera(o, credential, report);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.cameras.length) }, runner));
  return report;
}

function recordFailure(report: ConnectReport, deviceId: string, reason: string): void {
  report.failed++;
  if (report.errorSamples.length < 5) report.errorSamples.push(`${deviceId}: ${reason}`);
}

/** One camera: CONNECT with its will, subscribe to its commands, publish "online"; resolves either way. */
function connectCamera(
  o: Extract<ToWorker, { type: "connect" }>,
  credential: CameraCredential,
  report: ConnectReport,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const { deviceId, password } = credential;
    const session = Math.random().toString(36).slice(2, 12);
    const startedAt = nowMs();
    let settled = false;
    const client = mqtt.connect(o.url, {
      protocolVersion: 4,
      clientId: deviceId,
      username: deviceId,
      password,
      clean: true,
      keepalive: o.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs,
      will: {
        topic: deviceStatusTopic(deviceId),
        payload: Buffer.from(statusPayload(false, session)),
        qos: 1,
        retain: true,
      },
    });
    const camera: Camera = { deviceId, client, telemetryTopic: deviceTelemetryTopic(deviceId), closed: false };
    const settle = (error?: string) => {
      if (settled) return;
      settled = true;
      if (error) {
        recordFailure(report, deviceId, error);
        client.end(true);
      }
      resolve();
    };
    client.once("connect", () => {
      const at = nowMs();
      report.connected++;
      report.lastConnackAt = Math.max(report.lastConnackAt, at);
      report.connackMs.push(at - startedAt);
      cameras.push(camera);
      client.subscribe(deviceCommandTopic(deviceId), { qos: 1 }, (subscribeError, granted) => {
        if (subscribeError || granted?.some((g) => g.qos === 128))
          return settle(`subscribe refused: ${subscribeError?.message ?? "SUBACK 0x80"}`);
        client.publish(
          deviceStatusTopic(deviceId),
          statusPayload(true, session),
          { qos: 1, retain: true },
          (publishError) => {
            if (publishError) return settle(`online status: ${publishError.message}`);
            report.online++;
            report.lastOnlineAt = Math.max(report.lastOnlineAt, nowMs());
            settle();
          },
        );
      });
    });
    client.on("error", (error) => settle(error.message));
    client.on("close", () => {
      camera.closed = true;
      settle("closed before it was online");
    });
  });
}

async function sendHeartbeats(ratePerS: number, durationMs: number, qos: 0 | 1): Promise<HeartbeatReport> {
  const live = cameras.filter((c) => !c.closed && c.client.connected);
  const cpuBefore = process.cpuUsage();
  const startedAt = nowMs();
  let sent = 0;
  let cursor = 0;
  let lastTick = startedAt;
  let maxTickGapMs = 0;
  const rssiOf = (i: number) => -50 - (i % 40);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = nowMs();
      maxTickGapMs = Math.max(maxTickGapMs, now - lastTick);
      lastTick = now;
      const elapsed = Math.min(now - startedAt, durationMs);
      const due = Math.floor((ratePerS * elapsed) / 1000) - sent;
      if (live.length > 0 && due > 0) {
        // `at` is the send time: the gateway's latency from camera to database is measured from it.
        const at = new Date().toISOString();
        const uptimeS = Math.floor((Date.now() - bootAt) / 1000);
        for (let k = 0; k < due; k++) {
          const camera = live[cursor]!;
          cursor = (cursor + 1) % live.length;
          const payload = JSON.stringify({
            at,
            uptimeS,
            rssi: rssiOf(cursor),
            temperatureC: 41.5,
            firmware: "1.0.0",
            freeStorageMb: 12000,
            privacy: false,
          });
          camera.client.publish(camera.telemetryTopic, payload, { qos });
        }
        sent += due;
      }
      if (now - startedAt >= durationMs) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 5);
  });
  const cpu = process.cpuUsage(cpuBefore);
  // One sample checked against the shared schema, so a payload the gateway would drop fails loudly here.
  heartbeatMessage.parse({
    at: new Date().toISOString(),
    uptimeS: 1,
    rssi: -60,
    temperatureC: 41.5,
    firmware: "1.0.0",
    freeStorageMb: 12000,
    privacy: false,
  });
  return {
    type: "heartbeats-done",
    sent,
    startedAt,
    endedAt: nowMs(),
    closedClients: live.filter((c) => c.closed).length,
    maxTickGapMs,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
  };
}

async function closeAll(clearRetained: boolean, timeoutMs: number): Promise<CloseReport> {
  let closed = 0;
  let retainedCleared = 0;
  const closeOne = async (camera: Camera) => {
    if (clearRetained && camera.client.connected) {
      const ok = await new Promise<boolean>((resolve) =>
        camera.client.publish(deviceStatusTopic(camera.deviceId), "", { qos: 1, retain: true }, (error) =>
          resolve(!error),
        ),
      );
      if (ok) retainedCleared++;
    }
    await camera.client.endAsync(false);
    closed++;
  };
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(cameras.map((camera) => closeOne(camera).catch(() => undefined))),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  for (const camera of cameras) camera.client.end(true);
  cameras.length = 0;
  return { type: "closed", closed, retainedCleared };
}

send({ type: "ready" });
