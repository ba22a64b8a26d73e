// The firmware simulator against a real aedes broker (port 0) and a Fastify test double of the claim
// endpoint. The real gateway is tested elsewhere; these tests pin the camera's side of the contract.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  commandResponseMessage,
  deviceCommandResponseTopic,
  deviceCommandTopic,
  deviceEventMessage,
  deviceEventsTopic,
  deviceStatusMessage,
  deviceStatusTopic,
  deviceTelemetryTopic,
  heartbeatMessage,
  type CommandRequestMessage,
} from "../protocol/index.ts";
import { createCamera, type Camera, type CameraOptions } from "../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../device-client/src/credentials-store.ts";
import { createFleet } from "../firmware-sim/src/fleet.ts";
import { createSimulator } from "../firmware-sim/src/simulator.ts";
import { silentLogger } from "../device-client/src/log.ts";
import { loadSimConfig } from "../firmware-sim/src/config.ts";
import {
  observe,
  sha256Of,
  startFileServer,
  startGatewayTestDouble,
  startTestBroker,
  waitForState,
  type GatewayTestDouble,
  type Observer,
  type Recorded,
  type TestBroker,
} from "./helpers/sim-helpers.ts";
import { waitFor } from "./helpers/stack.ts";

const fast = { baseMs: 50, capMs: 400 };
let broker: TestBroker;
let gateway: GatewayTestDouble;
let stateDir: string;
let observer: Observer;
const cameras: Camera[] = [];

beforeAll(async () => {
  broker = await startTestBroker();
  gateway = await startGatewayTestDouble({ mqttUrl: broker.url, heartbeatIntervalS: 1, keepaliveS: 2 });
  observer = await observe(broker.url, ["devices/#"]);
});
afterAll(async () => {
  await observer.close();
  await gateway.close();
  await broker.close();
});
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "wx-sim-"));
});
afterEach(async () => {
  await Promise.all(cameras.splice(0).map((camera) => camera.stop()));
});

let serialCounter = 0;
function registerSerial(): { serial: string; claimCode: string } {
  const serial = `WX-TEST-${(++serialCounter).toString().padStart(2, "0")}${randomBytes(2).toString("hex").toUpperCase()}`;
  const claimCode = randomBytes(4).toString("hex").toUpperCase();
  gateway.registered.set(serial, claimCode);
  return { serial, claimCode };
}

function newCamera(overrides: Partial<CameraOptions> = {}): Camera {
  const camera = createCamera({
    ...registerSerial(),
    gatewayUrl: gateway.url,
    store: createCredentialsStore(stateDir),
    reconnectBackoff: fast,
    claimBackoff: fast,
    rebootDelayMs: { min: 100, max: 200 },
    ...overrides,
  });
  cameras.push(camera);
  return camera;
}

async function onlineCamera(overrides: Partial<CameraOptions> = {}) {
  const camera = newCamera(overrides);
  await camera.start();
  await waitForState(camera, "online");
  return { camera, deviceId: camera.snapshot().deviceId! };
}

const statusOf =
  (deviceId: string, predicate: (s: ReturnType<typeof deviceStatusMessage.parse>) => boolean) => (m: Recorded) =>
    m.topic === deviceStatusTopic(deviceId) && predicate(deviceStatusMessage.parse(m.payload));

function command(deviceId: string, body: Pick<CommandRequestMessage, "name" | "params">, expiresInMs = 30_000) {
  const correlationId = randomBytes(6).toString("hex");
  const message = {
    ...body,
    correlationId,
    responseTopic: deviceCommandResponseTopic(deviceId),
    expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
  };
  return { correlationId, message };
}

async function send(deviceId: string, message: unknown) {
  await observer.client.publishAsync(
    deviceCommandTopic(deviceId),
    typeof message === "string" ? message : JSON.stringify(message),
    { qos: 1 },
  );
}

const responseTo = (correlationId: string, from = 0) =>
  observer
    .next(
      (m) =>
        m.topic.endsWith("/cmd/response") && (m.payload as { correlationId?: string }).correlationId === correlationId,
      5_000,
      from,
    )
    .then((m) => commandResponseMessage.parse(m.payload));

describe("claim", () => {
  it("claims on first boot, stores the credentials 0600, and reuses them on the next boot", async () => {
    const first = newCamera();
    await first.start();
    await waitForState(first, "online");
    const deviceId = first.snapshot().deviceId!;
    expect(gateway.claimed.get(first.serial)).toBe(deviceId);
    const file = join(stateDir, `${first.serial}.json`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8")).credentials.deviceId).toBe(deviceId);
    await observer.next(
      statusOf(deviceId, (s) => s.state === "online" && s.reason === "boot" && s.firmware === "1.4.2"),
    );
    await first.stop();

    const requestsBefore = gateway.claimRequests;
    const second = createCamera({
      serial: first.serial,
      claimCode: gateway.registered.get(first.serial)!,
      gatewayUrl: gateway.url,
      store: createCredentialsStore(stateDir),
    });
    cameras.push(second);
    const mark = observer.messages.length;
    await second.start();
    await waitForState(second, "online");
    expect(gateway.claimRequests).toBe(requestsBefore); // no second claim
    expect(second.snapshot().deviceId).toBe(deviceId);
    await observer.next(
      statusOf(deviceId, (s) => s.state === "online" && s.reason === "boot"),
      5_000,
      mark,
    );
  });

  it.each([
    { status: 401, error: "claim-code-wrong", setup: (s: string) => gateway.registered.set(s, "WRONG000") },
    { status: 409, error: "claim-code-used", setup: (s: string) => gateway.claimed.set(s, "cam_000000000000") },
    {
      status: 403,
      error: "device-revoked",
      setup: (s: string) => gateway.refuse.set(s, { status: 403, error: "device-revoked" }),
    },
    { status: 404, error: "unknown-serial", setup: (s: string) => gateway.registered.delete(s) },
    {
      status: 429,
      error: "too-many-attempts",
      setup: (s: string) => gateway.refuse.set(s, { status: 429, error: "too-many-attempts" }),
    },
  ])("a $status claim refusal ($error) is final for this boot", async ({ status, error, setup }) => {
    const camera = newCamera();
    setup(camera.serial);
    const before = gateway.claimRequests;
    await camera.start();
    await waitForState(camera, "refused");
    await new Promise((r) => setTimeout(r, 300)); // several backoff periods: nothing more should happen
    expect(gateway.claimRequests - before).toBe(1);
    expect(camera.snapshot()).toMatchObject({
      state: "refused",
      claimed: false,
      refusal: { stage: "claim", httpStatus: status, code: error },
    });
  });

  it("retries 5xx with backoff, then claims", async () => {
    gateway.failNextClaims = 3;
    const camera = newCamera();
    await camera.start();
    await waitForState(camera, "online");
    expect(camera.snapshot().counters.claimRequests).toBe(4);
  });

  it("factoryReset wipes the state file and claims again", async () => {
    const { camera, deviceId } = await onlineCamera();
    gateway.claimed.delete(camera.serial); // the gateway re-armed the claim code
    await camera.factoryReset();
    await observer.next(
      (m) => m.topic === deviceEventsTopic(deviceId) && (m.payload as { type?: string }).type === "factory-reset",
    );
    await waitForState(camera, "online");
    const newId = camera.snapshot().deviceId!;
    expect(newId).not.toBe(deviceId);
    expect(JSON.parse(await readFile(join(stateDir, `${camera.serial}.json`), "utf8")).credentials.deviceId).toBe(
      newId,
    );
  });
});

describe("mqtt session", () => {
  it("heartbeats validate against the protocol, every heartbeatIntervalS", async () => {
    const { deviceId } = await onlineCamera();
    const mark = observer.messages.length;
    const beatsSinceMark = () =>
      observer.messages
        .slice(mark)
        .filter((m) => m.topic === deviceTelemetryTopic(deviceId))
        .map((m) => heartbeatMessage.parse(m.payload));
    const beats = await waitFor("three heartbeats", () => beatsSinceMark().length >= 3 && beatsSinceMark(), 10_000);
    // heartbeatIntervalS is 1: each beat's own time a second after the last (the camera's clock, not arrival).
    for (let i = 1; i < beats.length; i++) {
      const gapMs = Date.parse(beats[i]!.at) - Date.parse(beats[i - 1]!.at);
      expect(gapMs).toBeGreaterThanOrEqual(900);
      expect(gapMs).toBeLessThanOrEqual(3_000); // a busy machine delays timers, never hastens them
    }
    for (const beat of beats) {
      expect(beat).toMatchObject({ firmware: "1.4.2", privacy: false });
      expect(beat.rssi).toBeLessThan(-40);
      expect(beat.temperatureC).toBeGreaterThanOrEqual(30);
      expect(beat.temperatureC).toBeLessThanOrEqual(55);
    }
    expect(beats.at(-1)!.uptimeS).toBeGreaterThan(beats[0]!.uptimeS);
  });

  it("powerLoss: the broker publishes the will; powerOn boots again", async () => {
    const { camera, deviceId } = await onlineCamera();
    const mark = observer.messages.length;
    camera.powerLoss();
    expect(camera.snapshot().state).toBe("powered-off");
    await observer.next(
      statusOf(deviceId, (s) => s.state === "offline" && s.reason === "lost"),
      5_000,
      mark,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(camera.snapshot().state).toBe("powered-off"); // stays dark
    camera.powerOn();
    await waitForState(camera, "online");
    await observer.next(
      statusOf(deviceId, (s) => s.state === "online" && s.reason === "boot"),
      5_000,
      mark,
    );
  });

  it("networkFlap: will fires, the camera comes back after the outage with reason reconnect", async () => {
    const { camera, deviceId } = await onlineCamera();
    const mark = observer.messages.length;
    const downAt = Date.now();
    camera.networkFlap(400);
    await observer.next(
      statusOf(deviceId, (s) => s.state === "offline" && s.reason === "lost"),
      5_000,
      mark,
    );
    await observer.next(
      statusOf(deviceId, (s) => s.state === "online" && s.reason === "reconnect"),
      5_000,
      mark,
    );
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(400);
  });

  it("graceful stop: retained offline 'shutdown', and no will", async () => {
    const { camera, deviceId } = await onlineCamera();
    const mark = observer.messages.length;
    await camera.stop();
    await observer.next(
      statusOf(deviceId, (s) => s.state === "offline" && s.reason === "shutdown"),
      5_000,
      mark,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(observer.messages.slice(mark).filter(statusOf(deviceId, (s) => s.reason === "lost"))).toHaveLength(0);
    // Retained: a subscriber arriving later learns the camera is off.
    const late = await observe(broker.url, [deviceStatusTopic(deviceId)]);
    const retained = await late.next(() => true);
    await late.close();
    expect(retained.retain).toBe(true);
    expect(retained.payload).toMatchObject({ state: "offline", reason: "shutdown" });
  });

  it("reconnects with backoff when the broker goes away and returns", async () => {
    // A broker of its own: pausing the shared one would cut the test's observer too.
    const own = await startTestBroker();
    try {
      const { camera, deviceId } = await onlineCamera({ mqttUrl: own.url });
      const attemptsBefore = own.connectAttempts.get(deviceId) ?? 0;
      const states: string[] = [];
      camera.events.on("state", (state) => states.push(state));
      await own.pause();
      await waitForState(camera, "reconnecting");
      // Several TCP attempts are refused while the broker is away (backoff 50 ms → 400 ms cap).
      await waitFor("three refused attempts", () => states.filter((s) => s === "connecting").length >= 3, 10_000);
      expect(camera.snapshot().state).not.toBe("online");
      await own.resume();
      await waitForState(camera, "online", 5_000);
      expect(own.connectAttempts.get(deviceId)! - attemptsBefore).toBe(1); // refused TCP attempts never reached MQTT
      const watcher = await observe(own.url, [deviceStatusTopic(deviceId)]);
      const status = await watcher.next(() => true);
      await watcher.close();
      expect(status.payload).toMatchObject({ state: "online", reason: "reconnect" });
      await camera.stop();
    } finally {
      await own.close();
    }
  });

  it("CONNACK not authorized: state refused and no more attempts with those credentials", async () => {
    const { camera, deviceId } = await onlineCamera();
    broker.denied.add(deviceId); // revoked
    const before = broker.connectAttempts.get(deviceId)!;
    camera.networkFlap(50);
    await waitForState(camera, "refused");
    await new Promise((r) => setTimeout(r, 800));
    expect(broker.connectAttempts.get(deviceId)! - before).toBe(1);
    expect(camera.snapshot().refusal).toMatchObject({ stage: "mqtt", code: "connack-5" });
    broker.denied.delete(deviceId);
  });
});

describe("commands", () => {
  it("privacy: responds ok with the new state and publishes privacy-changed (source command)", async () => {
    const { camera, deviceId } = await onlineCamera();
    const mark = observer.messages.length;
    const { correlationId, message } = command(deviceId, { name: "privacy", params: { enabled: true } });
    await send(deviceId, message);
    expect(await responseTo(correlationId, mark)).toEqual({ correlationId, ok: true, result: { privacy: true } });
    const event = await observer.next((m) => m.topic === deviceEventsTopic(deviceId), 5_000, mark);
    expect(deviceEventMessage.parse(event.payload)).toMatchObject({
      type: "privacy-changed",
      enabled: true,
      source: "command",
    });
    expect(camera.snapshot().privacy).toBe(true);
    const beat = await observer.next(
      (m) => m.topic === deviceTelemetryTopic(deviceId) && (m.payload as { privacy?: boolean }).privacy === true,
      3_000,
      mark,
    );
    expect(heartbeatMessage.parse(beat.payload).privacy).toBe(true);
  });

  it("privacy button: toggles and publishes privacy-changed (source button)", async () => {
    const { camera, deviceId } = await onlineCamera();
    const mark = observer.messages.length;
    camera.pressPrivacyButton();
    const event = await observer.next((m) => m.topic === deviceEventsTopic(deviceId), 5_000, mark);
    expect(event.payload).toMatchObject({ type: "privacy-changed", enabled: true, source: "button" });
  });

  it("reboot: responds ok, goes offline 'reboot', comes back with uptime reset", async () => {
    const { camera, deviceId } = await onlineCamera();
    await waitFor("uptime of a second before the reboot", () => camera.snapshot().uptimeS >= 1, 5_000);
    const mark = observer.messages.length;
    const { correlationId, message } = command(deviceId, { name: "reboot", params: {} });
    await send(deviceId, message);
    expect(await responseTo(correlationId, mark)).toMatchObject({ correlationId, ok: true });
    await observer.next(
      statusOf(deviceId, (s) => s.state === "offline" && s.reason === "reboot"),
      5_000,
      mark,
    );
    await observer.next(
      statusOf(deviceId, (s) => s.state === "online" && s.reason === "boot"),
      5_000,
      mark,
    );
    const beat = await observer.next(
      (m) => m.topic === deviceTelemetryTopic(deviceId),
      3_000,
      observer.messages.length - 1,
    );
    expect(heartbeatMessage.parse(beat.payload).uptimeS).toBe(0);
    expect(camera.snapshot().state).toBe("online");
    expect(observer.messages.slice(mark).filter(statusOf(deviceId, (s) => s.reason === "lost"))).toHaveLength(0);
  });

  it("invalid command with a readable reply address gets ok:false; garbage is counted", async () => {
    const { camera, deviceId } = await onlineCamera();
    const mark = observer.messages.length;
    const { correlationId, message } = command(deviceId, { name: "privacy", params: { enabled: true } });
    await send(deviceId, { ...message, params: { enabled: "please" } });
    const response = await responseTo(correlationId, mark);
    expect(response.ok).toBe(false);
    expect(response.error).toMatch(/invalid command/);
    await send(deviceId, "{not json");
    await waitFor("the second invalid command counted", () => camera.snapshot().counters.invalidCommands >= 2);
    expect(camera.snapshot().counters.invalidCommands).toBe(2);
  });

  it("drops a command whose expiresAt has passed", async () => {
    const { camera, deviceId } = await onlineCamera();
    const { correlationId, message } = command(deviceId, { name: "privacy", params: { enabled: true } }, -1_000);
    const mark = observer.messages.length;
    await send(deviceId, message);
    await waitFor("the expired command dropped", () => camera.snapshot().counters.expiredCommands >= 1);
    expect(camera.snapshot()).toMatchObject({ privacy: false, counters: { expiredCommands: 1 } });
    expect(
      observer.messages
        .slice(mark)
        .some(
          (m) =>
            (m.payload as { correlationId?: string }).correlationId === correlationId && m.topic.endsWith("/response"),
        ),
    ).toBe(false);
  });

  describe("firmware-update", () => {
    const image = randomBytes(256 * 1024);
    let files: Awaited<ReturnType<typeof startFileServer>>;
    beforeAll(async () => {
      files = await startFileServer({ "/fw/1.5.0.bin": image });
    });
    afterAll(() => files.close());

    it("matching sha256: ok {from, to}, firmware-updated event, reboot into the new version (persisted)", async () => {
      const { camera, deviceId } = await onlineCamera();
      const mark = observer.messages.length;
      const { correlationId, message } = command(deviceId, {
        name: "firmware-update",
        params: { url: `${files.url}/fw/1.5.0.bin`, sha256: sha256Of(image), version: "1.5.0" },
      });
      await send(deviceId, message);
      expect(await responseTo(correlationId, mark)).toEqual({
        correlationId,
        ok: true,
        result: { from: "1.4.2", to: "1.5.0" },
      });
      const event = await observer.next((m) => m.topic === deviceEventsTopic(deviceId), 5_000, mark);
      expect(event.payload).toMatchObject({ type: "firmware-updated", from: "1.4.2", to: "1.5.0" });
      await observer.next(
        statusOf(deviceId, (s) => s.state === "offline" && s.reason === "reboot"),
        5_000,
        mark,
      );
      await observer.next(
        statusOf(deviceId, (s) => s.state === "online" && s.reason === "boot" && s.firmware === "1.5.0"),
        5_000,
        mark,
      );
      expect(camera.snapshot().firmware).toBe("1.5.0");
      expect(JSON.parse(await readFile(join(stateDir, `${camera.serial}.json`), "utf8")).firmware).toBe("1.5.0");
    });

    it("mismatching sha256: ok:false 'sha256 mismatch', no reboot, version unchanged", async () => {
      const { camera, deviceId } = await onlineCamera();
      const mark = observer.messages.length;
      const { correlationId, message } = command(deviceId, {
        name: "firmware-update",
        params: { url: `${files.url}/fw/1.5.0.bin`, sha256: "0".repeat(64), version: "1.5.0" },
      });
      await send(deviceId, message);
      expect(await responseTo(correlationId, mark)).toEqual({ correlationId, ok: false, error: "sha256 mismatch" });
      await new Promise((r) => setTimeout(r, 300));
      expect(camera.snapshot()).toMatchObject({ state: "online", firmware: "1.4.2" });
      expect(observer.messages.slice(mark).filter(statusOf(deviceId, (s) => s.state === "offline"))).toHaveLength(0);
    });

    it("a missing image: ok:false with the HTTP status", async () => {
      const { deviceId } = await onlineCamera();
      const mark = observer.messages.length;
      const { correlationId, message } = command(deviceId, {
        name: "firmware-update",
        params: { url: `${files.url}/fw/nope.bin`, sha256: sha256Of(image), version: "1.5.0" },
      });
      await send(deviceId, message);
      expect(await responseTo(correlationId, mark)).toEqual({
        correlationId,
        ok: false,
        error: "download failed: HTTP 404",
      });
    });
  });
});

describe("fleet and simulator", () => {
  it("a fleet of cameras comes online and reports a summary", async () => {
    const fleet = createFleet({
      gatewayUrl: gateway.url,
      stateDir,
      cameras: [registerSerial(), registerSerial(), registerSerial()],
      reconnectBackoff: fast,
      startSpreadMs: 100,
    });
    await fleet.start();
    await Promise.all(fleet.cameras.map((camera) => waitForState(camera, "online")));
    expect(fleet.summary()).toMatchObject({ total: 3, claimed: 3, online: 3, refused: 0 });
    await fleet.stop();
    expect(fleet.summary()).toMatchObject({ online: 0, claimed: 3, byState: { stopped: 3 } });
  });

  it("the simulator registers new serials through the installer API, binds them, and reuses them next run", async () => {
    const config = loadSimConfig(
      [
        "--cameras",
        "2",
        "--gateway",
        gateway.url,
        "--state-dir",
        stateDir,
        "--heartbeat",
        "1",
        "--start-spread-ms",
        "0",
      ],
      {},
    )!;
    const lines: string[] = [];
    const first = createSimulator(config, { log: silentLogger(), writeStatus: (line) => lines.push(line) });
    const registeredBefore = gateway.registered.size;
    await first.start();
    await expect.poll(() => first.summary()?.online, { timeout: 5_000 }).toBe(2);
    expect(gateway.registered.size - registeredBefore).toBe(2);
    expect(gateway.boundSerials.slice(-2)).toHaveLength(2);
    await first.stop();
    expect(lines.at(-1)).toMatch(/cameras 2 · claimed 2 · online 0 · refused 0/);

    const second = createSimulator(config, { log: silentLogger(), writeStatus: () => {} });
    const claimsBefore = gateway.claimRequests;
    await second.start();
    await expect.poll(() => second.summary()?.online, { timeout: 5_000 }).toBe(2);
    expect(gateway.registered.size - registeredBefore).toBe(2); // nothing new registered
    expect(gateway.claimRequests).toBe(claimsBefore); // nothing claimed again
    await second.stop();
  });
});
