// Pure parts of the firmware simulator: backoff, command parsing, sensors, state files, config.
import { mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { backoffCeilingMs, backoffDelayMs, defaultBackoff } from "../device-client/src/backoff.ts";
import { parseCommand } from "../device-client/src/commands.ts";
import { loadSimConfig, SimConfigError } from "../firmware-sim/src/config.ts";
import { createCredentialsStore } from "../device-client/src/credentials-store.ts";
import { randomSimSerial } from "../firmware-sim/src/installer-api.ts";
import { createSensorModel } from "../firmware-sim/src/sensors.ts";
import { heartbeatMessage, serial } from "../protocol/index.ts";

describe("backoff", () => {
  it("ceiling doubles from the base up to the cap", () => {
    const ceilings = Array.from({ length: 9 }, (_, attempt) => backoffCeilingMs(attempt, defaultBackoff));
    expect(ceilings).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(backoffCeilingMs(10_000, defaultBackoff)).toBe(60_000);
  });

  it("full jitter: the delay is uniform in [0, ceiling)", () => {
    expect(backoffDelayMs(3, defaultBackoff, () => 0)).toBe(0);
    expect(backoffDelayMs(3, defaultBackoff, () => 0.5)).toBe(4_000);
    expect(backoffDelayMs(3, defaultBackoff, () => 0.999_999)).toBe(7_999);
  });

  it("with real randomness the schedule grows, and delays are spread, not synchronised", () => {
    const samples = (attempt: number) => Array.from({ length: 2_000 }, () => backoffDelayMs(attempt, defaultBackoff));
    const means = [0, 2, 4, 6].map((attempt) => {
      const values = samples(attempt);
      const ceiling = backoffCeilingMs(attempt, defaultBackoff);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values)).toBeLessThan(ceiling);
      expect(new Set(values).size).toBeGreaterThan(values.length / 4); // jitter, not a fixed schedule
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      expect(mean).toBeGreaterThan(ceiling * 0.4);
      expect(mean).toBeLessThan(ceiling * 0.6);
      return mean;
    });
    expect(means).toEqual([...means].sort((a, b) => a - b));
  });
});

describe("parseCommand", () => {
  const base = {
    correlationId: "c1",
    responseTopic: "devices/cam_abcdefabcdef/cmd/response",
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
  };

  it("accepts a valid command", () => {
    const parsed = parseCommand(JSON.stringify({ ...base, name: "privacy", params: { enabled: true } }));
    expect(parsed.kind).toBe("command");
  });
  it("marks a command past expiresAt as expired", () => {
    const parsed = parseCommand(
      JSON.stringify({ ...base, expiresAt: new Date(Date.now() - 1).toISOString(), name: "reboot", params: {} }),
    );
    expect(parsed.kind).toBe("expired");
  });
  it("keeps the reply address of an invalid command when it is readable", () => {
    const parsed = parseCommand(JSON.stringify({ ...base, name: "privacy", params: { enabled: "yes" } }));
    expect(parsed).toMatchObject({
      kind: "invalid",
      replyTo: { correlationId: "c1", responseTopic: base.responseTopic },
    });
  });
  it("has no reply address for garbage", () => {
    expect(parseCommand("not json")).toMatchObject({ kind: "invalid", replyTo: null, reason: "payload is not JSON" });
    expect(parseCommand(JSON.stringify({ name: "reboot" }))).toMatchObject({ kind: "invalid", replyTo: null });
  });
});

describe("sensors", () => {
  it("wander around a per-camera base and stay valid for the heartbeat schema", () => {
    const model = createSensorModel({ seed: "WX-TEST-000001" });
    const readings = Array.from({ length: 500 }, () => model.read());
    for (const r of readings) {
      expect(() =>
        heartbeatMessage.parse({ at: new Date().toISOString(), uptimeS: 1, firmware: "1", privacy: false, ...r }),
      ).not.toThrow();
      expect(r.temperatureC).toBeGreaterThanOrEqual(30);
      expect(r.temperatureC).toBeLessThanOrEqual(55);
    }
    const meanRssi = readings.reduce((a, r) => a + r.rssi, 0) / readings.length;
    expect(Math.abs(meanRssi - model.rssiBase)).toBeLessThan(3);
    // Slowly varying: consecutive temperatures differ by well under a degree.
    for (let i = 1; i < readings.length; i++)
      expect(Math.abs(readings[i]!.temperatureC - readings[i - 1]!.temperatureC)).toBeLessThan(1.5);
  });
});

describe("credentials store", () => {
  it("writes one 0600 file per serial atomically and reads it back", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "wx-sim-store-")), "state");
    const store = createCredentialsStore(dir);
    expect(await store.load("WX-TEST-000001")).toBeNull();
    const state = {
      serial: "WX-TEST-000001",
      claimCode: "ABCD1234",
      firmware: "1.4.2",
      privacy: false,
      claimedAt: new Date().toISOString(),
      credentials: {
        deviceId: "cam_abcdefabcdef",
        mqttUsername: "cam_abcdefabcdef",
        mqttPassword: "s3cret",
        mqttUrl: "mqtt://x:1883",
        heartbeatIntervalS: 60,
        keepaliveS: 30,
      },
    };
    await store.save(state);
    await store.save({ ...state, firmware: "1.5.0" });
    expect(await store.load("WX-TEST-000001")).toEqual({ ...state, firmware: "1.5.0" });
    expect(await readdir(dir)).toEqual(["WX-TEST-000001.json"]); // no temp files left behind
    expect((await stat(join(dir, "WX-TEST-000001.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await store.list()).states).toHaveLength(1);
    await store.remove("WX-TEST-000001");
    expect(await store.load("WX-TEST-000001")).toBeNull();
  });
});

describe("simulator config", () => {
  it("has defaults that work on a fresh machine", () => {
    expect(loadSimConfig([], {})).toMatchObject({
      cameras: 3,
      gatewayUrl: "http://127.0.0.1:8080",
      stateDir: "./data/sim",
      installerUser: "installer",
      installerPassword: "wangxiang-demo",
    });
  });
  it("takes the environment, and flags over the environment", () => {
    const env = { WX_SIM_CAMERAS: "7", WX_DEMO_INSTALLER_USER: "alice", WX_SIM_HEARTBEAT_S: "9" };
    expect(loadSimConfig([], env)).toMatchObject({ cameras: 7, installerUser: "alice", heartbeatS: 9 });
    expect(loadSimConfig(["--cameras", "2", "--gateway", "http://10.0.0.2:8080"], env)).toMatchObject({
      cameras: 2,
      gatewayUrl: "http://10.0.0.2:8080",
      installerUser: "alice",
    });
  });
  it("explains a bad value or an unknown flag", () => {
    expect(() => loadSimConfig(["--cameras", "many"], {})).toThrow(/cameras must be a number/);
    expect(() => loadSimConfig(["--gateway", "ftp://x"], {})).toThrow(SimConfigError);
    expect(() => loadSimConfig(["--camras", "2"], {})).toThrow(/camras/);
    expect(loadSimConfig(["--help"], {})).toBeNull();
  });
});

it("random sim serials match the protocol's serial format", () => {
  for (let i = 0; i < 100; i++) expect(serial.safeParse(randomSimSerial()).success).toBe(true);
});
