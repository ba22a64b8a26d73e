// Fuzzing the MQTT broker: ≥ 10,000 malformed or mutated raw MQTT packets written on raw TCP sockets across thousands
// of connections: every connection is answered (CONNACK, PINGRESP, ...) or closed — by the broker's own timeouts
// when the client stays silent — and a real camera is served throughout. (The payloads are fuzz-mqtt.test.ts.)
import { connect, type Socket } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceCommandTopic, deviceStatusTopic, deviceTelemetryTopic } from "../protocol/topics.ts";
import {
  connectPacket,
  disconnectPacket,
  encodeRemainingLength,
  pingreqPacket,
  publishPacket,
  registerAndClaim,
  subscribePacket,
  unsubscribePacket,
} from "./helpers/security-fixtures.ts";
import { startFuzzStack, stopFuzzStack, type Sentinel } from "./helpers/mqtt-fuzz.ts";
import { connectAsDevice, waitFor, type Stack } from "./helpers/stack.ts";

const SEED = 20_260_517;
const RAW_PACKETS = 10_000;
const CONNECT_TIMEOUT_S = 1;
const KEEPALIVE_S = 1;
/** Connections in flight at once; each has its own camera for the connections that first log in properly. */
const WORKERS = 24;

describe("MQTT fuzzing: raw packets", () => {
  let stack: Stack;
  let sentinel: Sentinel;
  let fuzz: Awaited<ReturnType<typeof startFuzzStack>> | undefined;

  beforeAll(async () => {
    fuzz = await startFuzzStack(CONNECT_TIMEOUT_S);
    ({ stack, sentinel } = fuzz);
  }, 60_000);

  afterAll(() => stopFuzzStack(fuzz));

  it(`(b) answers or closes every connection carrying ${RAW_PACKETS} malformed raw packets, and keeps serving a real camera`, async () => {
    const broker = stack.gateway.broker!;
    const port = stack.mqttPort;
    // A real camera keeps publishing through the whole run; every publish must be acknowledged.
    const { deviceId, client } = sentinel;
    await stack.gateway.state.idle();
    await client.publishAsync(
      deviceStatusTopic(deviceId),
      JSON.stringify({ state: "online", at: new Date().toISOString(), reason: "reconnect" }),
      { qos: 1, retain: true },
    );
    sentinel.timer = setInterval(() => {
      sentinel.sent++;
      client
        .publishAsync(
          deviceTelemetryTopic(deviceId),
          JSON.stringify({
            at: new Date().toISOString(),
            uptimeS: sentinel.sent,
            rssi: -60,
            temperatureC: 40,
            firmware: "1.0.0",
            freeStorageMb: 100,
            privacy: false,
          }),
          { qos: 1 },
        )
        .then(
          () => void sentinel.acked++,
          () => void sentinel.failed++,
        );
    }, 100);

    // Cameras whose credentials the fuzzed connections use (never the real camera's, which must not be taken over).
    const staff = await stack.login("staff");
    const lanes = await Promise.all(
      Array.from({ length: WORKERS }, (_, i) =>
        registerAndClaim(stack, `WX-FUZZ-LANE${String(i).padStart(2, "0")}`, staff),
      ),
    );
    // Mutated CONNECTs log in (when the mutation spared the credentials) as this camera, so they never take over a lane.
    const connectFuzz = await registerAndClaim(stack, "WX-FUZZ-CONNEC", staff);
    // Proven once before the run: the wrong passwords to come put this address in the broker's auth cool-down,
    // which refuses unproven credentials without checking them.
    for (const camera of [...lanes, connectFuzz])
      (await connectAsDevice(stack, camera.deviceId, camera.password)).end(true);
    const validConnect = (lane: number, keepaliveS = KEEPALIVE_S) =>
      connectPacket({
        clientId: lanes[lane]!.deviceId,
        username: lanes[lane]!.deviceId,
        password: lanes[lane]!.password,
        keepaliveS,
      });
    const heartbeat = JSON.stringify({
      at: new Date().toISOString(),
      uptimeS: 1,
      rssi: -60,
      temperatureC: 40,
      firmware: "1.0.0",
      freeStorageMb: 100,
      privacy: false,
    });
    const basesAfterConnect = (lane: number) => {
      const id = lanes[lane]!.deviceId;
      return [
        publishPacket(deviceTelemetryTopic(id), heartbeat, 0),
        publishPacket(deviceTelemetryTopic(id), heartbeat, 1, 7),
        publishPacket(deviceStatusTopic(sentinel.deviceId), "{}", 1, 8),
        subscribePacket(deviceCommandTopic(id), 9),
        subscribePacket("#", 10),
        unsubscribePacket(deviceCommandTopic(id), 11),
        pingreqPacket,
        validConnect(lane),
        disconnectPacket,
      ];
    };

    type Mutation = { op: number; a: number; b: number; bytes: Uint8Array };
    const mutate = (base: Buffer, m: Mutation, isConnect: boolean): Buffer => {
      const at = (n: number) => n % Math.max(1, base.length);
      switch (m.op) {
        case 0: {
          // flip a few bytes
          const out = Buffer.from(base);
          m.bytes.forEach((value, i) => {
            out[at(m.a + i * 7919)] = value;
          });
          return out;
        }
        case 1:
          return base.subarray(0, at(m.a)); // truncated
        case 2: {
          // bogus remaining length (up to 5 bytes, continuation bits included)
          let lengthBytes = 1;
          while (lengthBytes < 4 && base[lengthBytes]! & 0x80) lengthBytes++;
          return Buffer.concat([
            base.subarray(0, 1),
            Buffer.from(m.bytes.subarray(0, 1 + (m.a % 5))),
            base.subarray(1 + lengthBytes),
          ]);
        }
        case 3:
          return Buffer.concat([Buffer.from([m.b & 0xff]), base.subarray(1)]); // another packet type and flags
        case 4: {
          // protocol level 0, 3, 5, 255 (CONNECT), or a random byte where the level would be
          const out = Buffer.from(base);
          out[isConnect ? 8 : at(m.a)] = [0, 3, 5, 255][m.b % 4]!;
          return out;
        }
        case 5:
          return Buffer.concat([base.subarray(0, 1), encodeRemainingLength(256 * 1024 * 1024 - 1), base.subarray(2)]); // huge declared length
        case 6:
          return Buffer.concat([base, Buffer.from(m.bytes)]); // trailing garbage
        case 7:
          return Buffer.from(m.bytes); // garbage alone
        default:
          return Buffer.concat([base.subarray(0, at(m.a)), base.subarray(at(m.a) + 1 + (m.b % 4))]); // bytes removed from the middle
      }
    };
    const mutation = fc.record({
      op: fc.nat(8),
      a: fc.nat(),
      b: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
    });
    const plans = fc.sample(
      fc.record({
        afterConnect: fc.boolean(),
        bases: fc.array(fc.nat(8), { minLength: 1, maxLength: 3 }),
        mutations: fc.array(mutation, { minLength: 3, maxLength: 3 }),
        protocolLevel: fc.constantFrom(4, 4, 4, 3, 5, 0, 255),
        /** Most silent connections are ended by the client after a short wait; these wait for the broker's own timeout. */
        waitForBrokerTimeout: fc.nat(19).map((n) => n === 0),
      }),
      { seed: SEED, numRuns: 7_000 },
    );

    const outcome = {
      answered: 0,
      closedByBroker: 0,
      closedAfterClientEnd: 0,
      closedByBrokerTimeout: 0,
      hung: 0,
      setupRefused: 0,
    };
    const hangs: string[] = [];
    let packets = 0;
    let connections = 0;

    const runConnection = (plan: (typeof plans)[number], lane: number) =>
      new Promise<void>((resolve) => {
        connections++;
        const socket: Socket = connect(port, "127.0.0.1");
        socket.setNoDelay(true);
        let received = 0;
        let closed = false;
        let wake: (() => void) | null = null;
        socket.on("data", (chunk) => {
          received += chunk.length;
          wake?.();
        });
        socket.on("close", () => {
          closed = true;
          wake?.();
        });
        socket.on("error", () => undefined);
        /** Waits until `condition` holds or `ms` pass; true if it held. */
        const until = (condition: () => boolean, ms: number) =>
          new Promise<boolean>((done) => {
            if (condition()) return done(true);
            const timer = setTimeout(() => {
              wake = null;
              done(condition());
            }, ms);
            wake = () => {
              if (condition()) {
                clearTimeout(timer);
                wake = null;
                done(true);
              }
            };
          });
        const describePlan = () =>
          JSON.stringify({
            ...plan,
            mutations: plan.mutations.map((m) => ({ ...m, bytes: Buffer.from(m.bytes).toString("hex") })),
          });
        socket.once("connect", async () => {
          let payload: Buffer;
          let isConnect = false;
          if (plan.afterConnect) {
            socket.write(validConnect(lane));
            if (!(await until(() => received >= 4 || closed, 5_000)) || closed) {
              outcome.setupRefused++;
              socket.destroy();
              return resolve();
            }
            const bases = basesAfterConnect(lane);
            payload = Buffer.concat([
              ...plan.bases.map((b, i) => mutate(bases[b]!, plan.mutations[i]!, b === 7)),
              pingreqPacket,
            ]);
            packets += plan.bases.length;
          } else {
            isConnect = true;
            const base = connectPacket({
              clientId: connectFuzz.deviceId,
              username: connectFuzz.deviceId,
              password: connectFuzz.password,
              keepaliveS: KEEPALIVE_S,
              protocolLevel: plan.protocolLevel,
            });
            payload = mutate(base, plan.mutations[0]!, true);
            packets++;
          }
          const baseline = received;
          socket.write(payload);
          if (await until(() => received > baseline || closed, 300)) {
            if (received > baseline) outcome.answered++;
            else outcome.closedByBroker++;
            socket.destroy();
            return resolve();
          }
          // Silent: the broker is waiting for the rest of a packet. It must close the socket itself (connect timeout or
          // keepalive × 1.5), or as soon as the client ends its side.
          if (plan.waitForBrokerTimeout) {
            const limit = (isConnect ? CONNECT_TIMEOUT_S : KEEPALIVE_S * 1.5) * 1000 + 3_000;
            if (await until(() => closed || received > baseline, limit)) outcome.closedByBrokerTimeout++;
            else {
              outcome.hung++;
              hangs.push(`no close within ${limit} ms: ${describePlan()}`);
            }
          } else {
            socket.end();
            if (await until(() => closed, 5_000)) outcome.closedAfterClientEnd++;
            else {
              outcome.hung++;
              hangs.push(`no close 5 s after FIN: ${describePlan()}`);
            }
          }
          socket.destroy();
          resolve();
        });
      });

    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, lane) => {
        while (next < plans.length && packets < RAW_PACKETS) await runConnection(plans[next++]!, lane);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sentinel.timer);
    await waitFor(
      "the real camera's last publishes acknowledged",
      () => sentinel.acked + sentinel.failed >= sentinel.sent,
      10_000,
    );

    console.log(
      `MQTT raw fuzz: ${packets} mutated packets over ${connections} connections in ${seconds.toFixed(1)} s — ${JSON.stringify(outcome)}`,
    );
    console.log(
      `  broker: ${JSON.stringify({ ...broker.metrics, connectedDevices: broker.metrics.connectedDevices })}`,
    );
    console.log(
      `  real camera: ${sentinel.acked}/${sentinel.sent} heartbeats acknowledged during the run, connection dropped ${sentinel.closed}×`,
    );
    expect(hangs.slice(0, 5)).toEqual([]);
    expect(packets).toBeGreaterThanOrEqual(RAW_PACKETS);
    expect(outcome.setupRefused).toBeLessThan(connections * 0.01);
    expect(outcome.closedByBrokerTimeout).toBeGreaterThan(0);
    expect(sentinel).toMatchObject({ failed: 0, closed: 0 });
    expect(sentinel.acked).toBe(sentinel.sent);
    expect(sentinel.client.connected).toBe(true);
    expect(broker.connectedDeviceIds()).toContain(deviceId);
    await sentinel.client.publishAsync(deviceTelemetryTopic(deviceId), heartbeat, { qos: 1 });
    expect((await stack.api("GET", "/healthz")).body).toMatchObject({ status: "ok", database: "ok", broker: "ok" });
    const detail = await stack.api("GET", `/api/v1/devices/${deviceId}`, { token: await stack.login("staff") });
    expect(detail.body.connection).toBe("online");
  }, 180_000);
});
