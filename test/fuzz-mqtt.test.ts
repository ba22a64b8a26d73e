// Fuzzing the device plane. (a) 10,000 generated payloads published by a legitimate camera on its own topics: the
// gateway counts exactly the invalid ones (judged by the shared protocol schemas) in wx_mqtt_invalid_payloads_total,
// takes the valid ones, and never falls over. (b) ≥ 10,000 malformed or mutated raw MQTT packets written on raw TCP
// sockets across thousands of connections: every connection is answered (CONNACK, PINGRESP, ...) or closed — by the
// broker's own timeouts when the client stays silent — and a real camera is served throughout.
import type { z } from "zod";
import { connect, type Socket } from "node:net";
import fc from "fast-check";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  commandResponseMessage,
  deviceEventMessage,
  deviceStatusMessage,
  heartbeatMessage,
  parseJsonPayload,
} from "../protocol/device-messages.ts";
import {
  deviceCommandResponseTopic,
  deviceCommandTopic,
  deviceEventsTopic,
  deviceStatusTopic,
  deviceTelemetryTopic,
} from "../protocol/topics.ts";
import {
  connectPacket,
  disconnectPacket,
  encodeRemainingLength,
  pingreqPacket,
  publishPacket,
  readCounter,
  registerAndClaim,
  subscribePacket,
  unsubscribePacket,
} from "./helpers/security-fixtures.ts";
import { connectAsDevice, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";

const SEED = 20_260_517;
const PAYLOADS = 10_000;
const RAW_PACKETS = 10_000;
const CONNECT_TIMEOUT_S = 1;
const KEEPALIVE_S = 1;
/** Connections in flight at once; each has its own camera for the connections that first log in properly. */
const WORKERS = 24;

const kinds = ["status", "telemetry", "events", "cmd/response"] as const;
type Kind = (typeof kinds)[number];
const schemas = {
  status: deviceStatusMessage,
  telemetry: heartbeatMessage,
  events: deviceEventMessage,
  "cmd/response": commandResponseMessage,
};

describe("MQTT fuzzing", () => {
  let stack: Stack;
  let sentinel: {
    deviceId: string;
    client: MqttClient;
    acked: number;
    sent: number;
    failed: number;
    closed: number;
    timer?: NodeJS.Timeout;
  };

  beforeAll(async () => {
    stack = await startStack({
      MQTT_CONNECT_RATE: "1000000",
      MQTT_CONNECT_BURST: "1000000",
      // Every fuzzed connection comes from 127.0.0.1: the per-address limit has its own test (broker.test.ts).
      MQTT_CONNECT_RATE_PER_ADDRESS: "1000000",
      MQTT_CONNECT_BURST_PER_ADDRESS: "1000000",
      MQTT_CONNECT_TIMEOUT_S: String(CONNECT_TIMEOUT_S),
      MQTT_KEEPALIVE_MAX_S: "60",
    });
    const camera = await installDemoCamera(stack, 0);
    // A keepalive that survives a busy test machine: this camera must not drop for reasons of its own.
    const client = await connectAsDevice(stack, camera.deviceId, camera.password, { keepalive: 30 });
    sentinel = { deviceId: camera.deviceId, client, acked: 0, sent: 0, failed: 0, closed: 0 };
    client.on("close", () => void sentinel.closed++);
    // The camera's own "online" has reached the gateway before any counter is read.
    const staff = await stack.login("staff");
    await waitFor(
      "camera online",
      async () =>
        (await stack.api("GET", `/api/v1/devices/${camera.deviceId}`, { token: staff })).body.connection === "online",
    );
  }, 60_000);

  afterAll(async () => {
    clearInterval(sentinel?.timer);
    sentinel?.client.end(true);
    await stack?.stop();
  });

  it(`(a) counts exactly the invalid ones among ${PAYLOADS} payloads a camera publishes on its own topics`, async () => {
    const iso = fc
      .date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-12-31T00:00:00Z") })
      .map((d) => d.toISOString());
    const valid: Record<Kind, fc.Arbitrary<Record<string, unknown>>> = {
      status: fc.record(
        {
          state: fc.constantFrom("online", "offline"),
          at: iso,
          reason: fc.constantFrom("boot", "reconnect", "shutdown", "reboot", "lost"),
          firmware: fc.string({ minLength: 1, maxLength: 40 }),
          session: fc.string({ minLength: 1, maxLength: 64 }),
        },
        { requiredKeys: ["state", "at"] },
      ),
      telemetry: fc.record({
        at: iso,
        uptimeS: fc.nat(),
        rssi: fc.integer({ min: -130, max: 0 }),
        temperatureC: fc.double({ min: -40, max: 125, noNaN: true }),
        firmware: fc.string({ minLength: 1, maxLength: 40 }),
        freeStorageMb: fc.nat(),
        privacy: fc.boolean(),
      }),
      events: fc.oneof(
        fc.record({
          type: fc.constant("privacy-changed"),
          at: iso,
          enabled: fc.boolean(),
          source: fc.constantFrom("button", "command"),
        }),
        fc.record({
          type: fc.constant("firmware-updated"),
          at: iso,
          from: fc.string({ maxLength: 40 }),
          to: fc.string({ maxLength: 40 }),
        }),
        fc.record({ type: fc.constant("factory-reset"), at: iso }),
        fc.record({ type: fc.constant("viewing-indicator"), at: iso, on: fc.boolean(), viewers: fc.nat(5) }),
        fc.record({ type: fc.constant("stream-failed"), at: iso, reason: fc.string({ maxLength: 300 }) }),
      ),
      "cmd/response": fc.record(
        {
          correlationId: fc.string({ minLength: 1, maxLength: 64 }),
          ok: fc.boolean(),
          result: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })),
          error: fc.string({ maxLength: 500 }),
        },
        { requiredKeys: ["correlationId", "ok"] },
      ),
    };
    const payloadFor = (kind: Kind): fc.Arbitrary<{ how: string; payload: Buffer }> =>
      fc.oneof(
        { weight: 3, arbitrary: valid[kind].map((m) => ({ how: "valid", payload: Buffer.from(JSON.stringify(m)) })) },
        {
          weight: 4,
          arbitrary: fc
            .tuple(
              valid[kind],
              fc.constantFrom(
                "state",
                "at",
                "uptimeS",
                "rssi",
                "type",
                "enabled",
                "correlationId",
                "ok",
                "firmware",
                "extra",
              ),
              fc.anything({ maxDepth: 2 }),
            )
            .map(([m, key, value]) => ({
              how: "near-miss",
              payload: Buffer.from(JSON.stringify({ ...m, [key]: value }) ?? ""),
            })),
        },
        {
          weight: 1,
          arbitrary: fc.tuple(valid[kind], fc.nat()).map(([m, n]) => {
            const keys = Object.keys(m);
            const drop = keys[n % keys.length]!;
            return { how: "missing-field", payload: Buffer.from(JSON.stringify({ ...m, [drop]: undefined })) };
          }),
        },
        {
          weight: 2,
          arbitrary: fc.json({ maxDepth: 3 }).map((text) => ({ how: "random-json", payload: Buffer.from(text) })),
        },
        {
          weight: 1,
          arbitrary: fc
            .uint8Array({ maxLength: 200 })
            .map((bytes) => ({ how: "random-bytes", payload: Buffer.from(bytes) })),
        },
        // Valid but for one NUL character in a text field (PostgreSQL cannot store it; the protocol refuses it).
        {
          weight: 1,
          arbitrary: fc.tuple(valid[kind], fc.nat()).map(([m, n]) => {
            const texts = Object.keys(m).filter((k) => typeof m[k] === "string" && k !== "type" && k !== "state");
            const key = texts[n % Math.max(1, texts.length)] ?? "firmware";
            return {
              how: "nul-in-text",
              payload: Buffer.from(JSON.stringify({ ...m, [key]: `1.0\u0000${String(m[key] ?? "")}` })),
            };
          }),
        },
        {
          weight: 1,
          arbitrary: fc.tuple(valid[kind], fc.nat()).map(([m, at]) => {
            const text = Buffer.from(JSON.stringify(m));
            const cut = at % text.length;
            return {
              how: "invalid-utf8",
              payload: Buffer.concat([text.subarray(0, cut), Buffer.from([0xff, 0xfe, 0xc0]), text.subarray(cut)]),
            };
          }),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            { how: "empty", payload: Buffer.alloc(0) },
            { how: "null", payload: Buffer.from("null") },
            { how: "deep", payload: Buffer.from("[".repeat(20_000) + "]".repeat(20_000)) },
          ),
        },
        {
          weight: 1,
          arbitrary: fc.integer({ min: 1_000, max: 60_000 }).map((n) => ({
            how: "large",
            payload: Buffer.from(JSON.stringify({ at: new Date().toISOString(), firmware: "x".repeat(n) })),
          })),
        },
      );
    const cases = fc.sample(
      fc.constantFrom(...kinds).chain((kind) => payloadFor(kind).map((p) => ({ kind, ...p }))),
      { seed: SEED, numRuns: PAYLOADS },
    );

    const { deviceId, client } = sentinel;
    const topicOf: Record<Kind, string> = {
      status: deviceStatusTopic(deviceId),
      telemetry: deviceTelemetryTopic(deviceId),
      events: deviceEventsTopic(deviceId),
      "cmd/response": deviceCommandResponseTopic(deviceId),
    };
    // The oracle: the shared schemas the gateway validates with. An empty status payload clears a retained message: received, not invalid.
    const expected = { sent: {} as Record<Kind, number>, invalid: {} as Record<Kind, number>, validTelemetry: 0 };
    for (const kind of kinds) {
      expected.sent[kind] = 0;
      expected.invalid[kind] = 0;
    }
    for (const c of cases) {
      expected.sent[c.kind]++;
      if (c.kind === "status" && c.payload.length === 0) continue;
      const ok = parseJsonPayload(schemas[c.kind] as z.ZodType<unknown>, c.payload).ok;
      if (!ok) expected.invalid[c.kind]++;
      else if (c.kind === "telemetry") expected.validTelemetry++;
    }
    const counter = (name: string, kind: Kind) => readCounter(stack, name, `kind="${kind}"`);
    const before = Object.fromEntries(
      await Promise.all(
        kinds.map(async (k) => [
          k,
          {
            sent: await counter("wx_mqtt_messages_total", k),
            invalid: await counter("wx_mqtt_invalid_payloads_total", k),
          },
        ]),
      ),
    );
    const storedBefore = await readCounter(stack, "wx_heartbeats_stored_total");

    const started = performance.now();
    const dropped = new Promise<never>((_, reject) =>
      client.once("close", () => reject(new Error("the camera's connection closed while publishing"))),
    );
    dropped.catch(() => undefined);
    for (let i = 0; i < cases.length; i += 250) {
      await Promise.race([
        dropped,
        Promise.all(cases.slice(i, i + 250).map((c) => client.publishAsync(topicOf[c.kind], c.payload, { qos: 1 }))),
      ]);
    }
    const published = performance.now();
    const delta = async (name: "sent" | "invalid", kind: Kind) =>
      (await counter(name === "sent" ? "wx_mqtt_messages_total" : "wx_mqtt_invalid_payloads_total", kind)) -
      before[kind]![name];
    await waitFor(
      "the gateway received every payload",
      async () =>
        (await Promise.all(kinds.map(async (k) => (await delta("sent", k)) >= expected.sent[k]))).every(Boolean),
      60_000,
      100,
    );
    const seconds = (performance.now() - started) / 1000;

    const got = Object.fromEntries(
      await Promise.all(
        kinds.map(async (k) => [k, { sent: await delta("sent", k), invalid: await delta("invalid", k) }]),
      ),
    );
    const hows = new Map<string, number>();
    for (const c of cases) hows.set(c.how, (hows.get(c.how) ?? 0) + 1);
    console.log(
      `MQTT payload fuzz: ${cases.length} payloads published in ${((published - started) / 1000).toFixed(1)} s, all handled by the gateway after ${seconds.toFixed(1)} s`,
    );
    console.log(
      `  invalid by kind (expected = counted): ${kinds.map((k) => `${k} ${expected.invalid[k]}/${expected.sent[k]} = ${got[k]!.invalid}`).join(", ")}`,
    );
    console.log(`  inputs: ${[...hows].map(([h, n]) => `${h}×${n}`).join(" ")}`);
    for (const kind of kinds) {
      expect({ kind, invalid: got[kind]!.invalid }).toEqual({ kind, invalid: expected.invalid[kind] });
      // The wait above saw at least every payload; none more may arrive, but the retained status may be replayed
      // to the gateway when its subscription is renewed: one more status, valid.
      expect(got[kind]!.sent - expected.sent[kind], kind).toBeLessThanOrEqual(kind === "status" ? 2 : 0);
    }
    // The valid heartbeats were taken and stored.
    await waitFor(
      "valid heartbeats stored",
      async () => (await readCounter(stack, "wx_heartbeats_stored_total")) - storedBefore >= expected.validTelemetry,
      20_000,
      100,
    );
    expect((await readCounter(stack, "wx_heartbeats_stored_total")) - storedBefore).toBe(expected.validTelemetry);
    expect(sentinel.closed).toBe(0);
    expect((await stack.api("GET", "/healthz")).body).toMatchObject({ status: "ok", database: "ok", broker: "ok" });
  }, 120_000);

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
