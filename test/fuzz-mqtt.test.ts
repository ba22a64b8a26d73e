// Fuzzing the device plane's payloads: 10,000 generated payloads published by a legitimate camera on its own
// topics: the gateway counts exactly the invalid ones (judged by the shared protocol schemas) in
// wx_mqtt_invalid_payloads_total, stores the valid ones, and never falls over. The raw packets are
// fuzz-mqtt-packets.test.ts: this file runs on PostgreSQL too, since what it stores is the provider's to refuse.
import type { z } from "zod";
import fc from "fast-check";
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
  deviceEventsTopic,
  deviceStatusTopic,
  deviceTelemetryTopic,
} from "../protocol/topics.ts";
import { readCounter } from "./helpers/security-fixtures.ts";
import { startFuzzStack, stopFuzzStack, type Sentinel } from "./helpers/mqtt-fuzz.ts";
import { waitFor, type Stack } from "./helpers/stack.ts";

const SEED = 20_260_517;
const PAYLOADS = 10_000;
const CONNECT_TIMEOUT_S = 1;

const kinds = ["status", "telemetry", "events", "cmd/response"] as const;
type Kind = (typeof kinds)[number];
const schemas = {
  status: deviceStatusMessage,
  telemetry: heartbeatMessage,
  events: deviceEventMessage,
  "cmd/response": commandResponseMessage,
};

describe("MQTT fuzzing: payloads", () => {
  let stack: Stack;
  let sentinel: Sentinel;
  let fuzz: Awaited<ReturnType<typeof startFuzzStack>> | undefined;

  beforeAll(async () => {
    fuzz = await startFuzzStack(CONNECT_TIMEOUT_S);
    ({ stack, sentinel } = fuzz);
  }, 60_000);

  afterAll(() => stopFuzzStack(fuzz));

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
});
