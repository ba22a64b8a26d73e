// The installer's on-site check (issue 13, item 3). Refusals against a real broker and gateway with a camera
// that is an MQTT client; the real check with simulated cameras streaming through the relay, each behind its
// own uplink (test/helpers/whip-shaper.ts): a good one, a throttled one and a very thin one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCamera, type Camera } from "../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../device-client/src/credentials-store.ts";
import {
  connectAsDevice,
  installDemoCamera,
  startStack,
  waitFor,
  waitForProgress,
  type Stack,
  type TestJson,
} from "./helpers/stack.ts";
import { startWhipShaper, type WhipShaper } from "./helpers/whip-shaper.ts";

const startCheck = (stack: Stack, token: string, deviceId: string) =>
  stack.api("POST", `/api/v1/devices/${deviceId}/site-checks`, { token });

/** Follows a check the way the installer's app does, for as long as its progress keeps moving. */
async function checkOutcome(stack: Stack, token: string, checkId: string): Promise<TestJson> {
  let view: TestJson = null;
  const read = async () => {
    view = (await stack.api("GET", `/api/v1/site-checks/${checkId}`, { token })).body;
    return view.state === "running" ? view.progress : 2;
  };
  await waitForProgress(`check ${checkId}`, read, 2, 20_000);
  return view;
}

async function refusalsCounted(stack: Stack): Promise<Record<string, number>> {
  const text = (await stack.api("GET", "/metrics")).body as string;
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^wx_http_client_errors_total\{[^}]*route="[^"]*site-checks"[^}]*\} (\d+)/gm)) {
    const code = /error="([^"]+)"/.exec(match[0])![1]!;
    counts[code] = (counts[code] ?? 0) + Number(match[1]);
  }
  return counts;
}

describe("on-site check: refusals", () => {
  let stack: Stack;
  let installer: string;
  let camera: { deviceId: string; password: string };
  let client: MqttClient | null = null;

  beforeAll(async () => {
    stack = await startStack({ COMMAND_TIMEOUT_MS: "1500" });
    installer = await stack.login("installer");
    camera = await installDemoCamera(stack, 0);
  }, 30_000);
  afterAll(async () => {
    client?.end(true);
    await stack?.stop();
  });

  it("a camera that is offline is refused with camera-offline, and the refusal is counted", async () => {
    const refused = await startCheck(stack, installer, camera.deviceId);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe("camera-offline");
    expect((await refusalsCounted(stack))["camera-offline"]).toBe(1);
    expect(await stack.db.siteCheck.count()).toBe(0);
  });

  it("a camera in privacy mode is refused with privacy-mode", async () => {
    client = await connectAsDevice(stack, camera.deviceId, camera.password);
    await waitFor("online", async () => {
      const device = await stack.db.device.findUnique({ where: { id: camera.deviceId } });
      return device?.connection === "online";
    });
    await stack.db.device.update({ where: { id: camera.deviceId }, data: { privacy: true } });
    const refused = await startCheck(stack, installer, camera.deviceId);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("privacy-mode");
    expect((await refusalsCounted(stack))["privacy-mode"]).toBe(1);
    await stack.db.device.update({ where: { id: camera.deviceId }, data: { privacy: false } });
  });

  it("a second check while one runs is refused; a camera that never answers ends the first as failed", async () => {
    const first = await startCheck(stack, installer, camera.deviceId);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ state: "running", phase: "probing", verdict: null });
    const second = await startCheck(stack, installer, camera.deviceId);
    expect(second.status).toBe(409);
    expect(second.body.error).toBe("site-check-running");
    expect((await refusalsCounted(stack))["site-check-running"]).toBe(1);
    // This camera is an MQTT client that answers no command: the first probe times out.
    const outcome = await checkOutcome(stack, installer, first.body.id);
    expect(outcome).toMatchObject({ state: "failed", error: "camera-did-not-answer", verdict: null, progress: 1 });
    expect((await startCheck(stack, installer, camera.deviceId)).status).toBe(202);
  }, 30_000);

  it("family members cannot run checks; an unknown check is not found", async () => {
    const family = await stack.login("family");
    const refused = await startCheck(stack, family, camera.deviceId);
    expect(refused.status).toBe(403);
    expect((await stack.api("GET", `/api/v1/site-checks/chk_nonexistent`, { token: installer })).status).toBe(404);
  });
});

interface HomeCamera {
  deviceId: string;
  camera: Camera;
}

async function installSimulatedCamera(stack: Stack, index: number, stateDir: string): Promise<HomeCamera> {
  const installer = await stack.login("installer");
  const box = stack.seed.cameras[index]!;
  const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
    token: installer,
    body: { serial: box.serial, claimCode: box.claimCode },
  });
  const deviceId: string = bound.body.id;
  const camera = createCamera({
    serial: box.serial,
    claimCode: box.claimCode,
    gatewayUrl: stack.httpUrl,
    store: createCredentialsStore(join(stateDir, box.serial)),
    heartbeatIntervalS: 1,
    clockSkewMs: index === 2 ? 45_000 : 0,
    media: { hostAddresses: ["127.0.0.1"] },
  });
  await camera.start();
  return { deviceId, camera };
}

// Seconds of stream each check measures (SITE_CHECK_STREAM_S; 10 in production). The verdicts come from rates and
// loss shares, which a 5 s window measures as well: the assertions below scale with it.
const STREAM_S = 5;

describe("on-site check through the relay", () => {
  let stack: Stack;
  let shaper: WhipShaper;
  let installer: string;
  let homes: HomeCamera[] = [];
  const stateDir = mkdtempSync(join(tmpdir(), "wx-sitecheck-"));

  beforeAll(async () => {
    shaper = await startWhipShaper();
    stack = await startStack({
      RELAY_ENABLED: "1",
      RELAY_WORKERS: "1",
      RELAY_HOST_ADDRESSES: "127.0.0.1",
      COMMAND_TIMEOUT_MS: "8000",
      PUBLIC_HTTP_URL: shaper.url,
      SITE_CHECK_STREAM_S: String(STREAM_S),
    });
    shaper.target = stack.httpUrl;
    installer = await stack.login("installer");
    homes = await Promise.all([0, 1, 2].map((i) => installSimulatedCamera(stack, i, stateDir)));
    for (const home of homes)
      await waitFor("camera online", async () => {
        const device = await stack.db.device.findUnique({ where: { id: home.deviceId } });
        return device?.connection === "online";
      });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(homes.map((home) => home.camera.stop()));
    await stack?.stop();
    await shaper?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("a good uplink: video OK, the stream measured at the relay at family-viewing size", async () => {
    const [good] = homes;
    const started = await startCheck(stack, installer, good!.deviceId);
    expect(started.status).toBe(202);
    const outcome = await checkOutcome(stack, installer, started.body.id);
    console.log("good uplink", JSON.stringify(outcome.measurements), outcome.advice);
    expect(outcome.state).toBe("done");
    expect(outcome.verdict).toBe("video-ok");
    const m = outcome.measurements;
    expect(m.streamS).toBeGreaterThanOrEqual(STREAM_S - 0.5);
    expect(m.video.kbps).toBeGreaterThan(300); // the 640×360 clip runs at about 400 kbit/s
    expect(m.video.lossPct).toBeLessThanOrEqual(2);
    expect(m.audio.packets).toBeGreaterThan(STREAM_S * 30); // 50 Opus packets a second
    expect(m.roundTripMs.samples).toBe(5);
    expect(Math.abs(m.clockSkewMs)).toBeLessThan(1000);
    expect(m.rssiDbm).toBeLessThan(0);
    expect(outcome.advice.includes("clock-skew")).toBe(false);
    expect(good!.camera.snapshot().media.streamsStarted).toBe(1);
  }, 60_000);

  it("a throttled uplink says audio only, a very thin one no video; a wrong camera clock is advised on", async () => {
    const [, throttled, thin] = homes;
    shaper.shapes.set(throttled!.deviceId, { upKbps: 150, upQueueMs: 300 });
    shaper.shapes.set(thin!.deviceId, { upKbps: 25, upQueueMs: 300 });
    const checks = await Promise.all([throttled!, thin!].map((home) => startCheck(stack, installer, home.deviceId)));
    expect(checks.map((c) => c.status)).toEqual([202, 202]);
    const [slow, thinOutcome] = await Promise.all(checks.map((c) => checkOutcome(stack, installer, c.body.id)));
    console.log("throttled uplink", JSON.stringify(slow.measurements), slow.advice);
    console.log("thin uplink", JSON.stringify(thinOutcome.measurements), thinOutcome.advice);
    expect(slow).toMatchObject({ state: "done", verdict: "audio-only" });
    expect(slow.measurements.video.lossPct).toBeGreaterThan(20);
    expect(thinOutcome).toMatchObject({ state: "done", verdict: "no-video" });
    expect(thinOutcome.advice).toContain("clock-skew");
    expect(thinOutcome.measurements.clockSkewMs).toBeGreaterThan(40_000);
    const uplinkDrops = shaper.links.get(throttled!.deviceId)!.reduce((sum, link) => sum + link.counters.upDropped, 0);
    expect(uplinkDrops).toBeGreaterThan(0);
  }, 90_000);

  it("staff see the household's checks afterwards, newest first, with their verdicts", async () => {
    const staff = await stack.login("staff");
    const list = await stack.api("GET", `/api/v1/households/${stack.seed.householdId}/site-checks`, { token: staff });
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: TestJson) => c.verdict).sort()).toEqual(["audio-only", "no-video", "video-ok"]);
    const ofCamera = await stack.api("GET", `/api/v1/devices/${homes[0]!.deviceId}/site-checks`, { token: staff });
    expect(ofCamera.body.items).toHaveLength(1);
    expect(ofCamera.body.items[0]).toMatchObject({ verdict: "video-ok", requestedBy: "installer" });
  });
});
