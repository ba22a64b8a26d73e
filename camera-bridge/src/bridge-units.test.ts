// The bridge's own parts without a camera stream: the configuration schema and the ONVIF client against the
// test ONVIF device service (which checks the WS-Security digest as a camera does).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOnvifDevice, type OnvifDevice } from "../../test/helpers/onvif-device.ts";
import { loadBridgeConfig } from "./config.ts";
import { OnvifClient } from "./onvif.ts";

describe("bridge configuration", () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "wx-bridge-config-"))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const load = async (cameras: unknown, env: Record<string, string> = {}) => {
    const file = join(dir, `${Math.random()}.json`);
    await writeFile(file, JSON.stringify({ cameras }));
    return () => loadBridgeConfig({ WX_BRIDGE_CAMERAS: file, ...env });
  };
  const camera = { serial: "WX-2026-A1B2C3", claimCode: "K7P2-9QXM" };

  it("reads the cameras file and the environment, with defaults", async () => {
    const config = (await load([{ ...camera, rtsp: "rtsp://192.168.1.65/stream1" }]))();
    expect(config).toMatchObject({
      gatewayUrl: "http://127.0.0.1:8080",
      probeIntervalS: 30,
      cameras: [{ serial: camera.serial }],
    });
    expect(config.cameras[0]).toMatchObject({ username: "", password: "" });
  });

  it("names what is wrong: a camera with neither address, a bad interval, an unreadable file", async () => {
    expect(await load([camera])).toThrow(/onvif address or an rtsp URL/);
    const badInterval = await load([{ ...camera, onvif: "http://192.168.1.64/onvif/device_service" }], {
      WX_BRIDGE_PROBE_INTERVAL_S: "0",
    });
    expect(badInterval).toThrow(/probeIntervalS/);
    expect(() => loadBridgeConfig({ WX_BRIDGE_CAMERAS: join(dir, "missing.json") })).toThrow(/WX_BRIDGE_CAMERAS/);
  });
});

describe("ONVIF client", () => {
  let device: OnvifDevice;
  const account = { username: "admin", password: "right-password" };
  beforeAll(async () => {
    device = await startOnvifDevice({ ...account, streamUri: "rtsp://127.0.0.1:8554/main", jpeg: Buffer.from("jpeg") });
  });
  afterAll(() => device.close());

  it("finds the media service, the profiles, the stream and snapshot URIs with a digest the camera accepts", async () => {
    const client = new OnvifClient(device.url, account);
    const profiles = await client.profileTokens();
    expect(profiles).toEqual({ ok: true, value: ["main_profile", "sub_profile"] });
    expect(await client.streamUri("main_profile")).toEqual({ ok: true, value: "rtsp://127.0.0.1:8554/main" });
    expect(await client.snapshotUri("main_profile")).toMatchObject({
      ok: true,
      value: expect.stringMatching(/snapshot/),
    });
    expect(device.requests.every((r) => r.authorized)).toBe(true);
  });

  it("tells a wrong password, an operation the camera lacks and a camera that is not there apart", async () => {
    const wrong = new OnvifClient(device.url, { ...account, password: "wrong" });
    expect(await wrong.profileTokens()).toMatchObject({ ok: false, fault: "auth-failed" });
    const rebootless = new OnvifClient(device.url, account);
    expect(await rebootless.systemReboot()).toMatchObject({ ok: false, fault: "not-supported" });
    const gone = new OnvifClient("http://127.0.0.1:9/onvif/device_service", account);
    expect(await gone.profileTokens()).toMatchObject({ ok: false, fault: "unreachable" });
  });
});
