// A declined call home puts the camera in privacy mode for the household's time; that time is kept with the
// camera, so a gateway restart neither forgets to end it nor ends it early. A simulated camera (real MQTT)
// declines; gateways restart on the same database and broker port, and the camera reconnects by itself.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../core/database.ts";
import { createCamera, type Camera } from "../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../device-client/src/credentials-store.ts";
import { startStack, waitFor, type Stack } from "./helpers/stack.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

let database: TestDatabase;
let stack: Stack;
let camera: Camera;
let deviceId: string;
let stateDir: string;
let mqttPort = "0";

async function startGateway(): Promise<void> {
  stack = await startStack({ MQTT_PORT: mqttPort, COMMAND_TIMEOUT_MS: "5000" }, { database });
  mqttPort = String(stack.mqttPort); // the camera was given this port at its claim
}

async function stopGateway(): Promise<void> {
  await stack.gateway.stop();
  await stack.db.$disconnect();
}

const device = () => stack.db.device.findUniqueOrThrow({ where: { id: deviceId } });
const cameraOnline = () => waitFor("camera online", async () => (await device()).connection === "online", 30_000);

async function declineACallHome(): Promise<void> {
  const token = await stack.login("family");
  const called = await stack.api("POST", `/api/v1/devices/${deviceId}/call`, { token });
  expect(called.status).toBe(201);
  await waitFor("camera rings", () => camera.snapshot().calls.state === "ringing");
  camera.pressPrivacyButton();
  await waitFor("privacy on", async () => camera.snapshot().privacy && (await device()).privacy);
}

beforeAll(async () => {
  database = await createTestDatabase();
  await startGateway();
  const box = stack.seed.cameras[0]!;
  const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
    token: await stack.login("installer"),
    body: { serial: box.serial, claimCode: box.claimCode, label: "堂屋" },
  });
  deviceId = bound.body.id;
  stateDir = mkdtempSync(join(tmpdir(), "wx-sim-"));
  camera = createCamera({
    serial: box.serial,
    claimCode: box.claimCode,
    gatewayUrl: stack.httpUrl,
    store: createCredentialsStore(stateDir),
    heartbeatIntervalS: 1,
    reconnectBackoff: { baseMs: 200, capMs: 1000 },
  });
  await camera.start();
  await cameraOnline();
}, 60_000);

afterAll(async () => {
  await camera?.stop();
  await stack?.gateway.stop();
  await stack?.db.$disconnect();
  await database?.drop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("privacy after a declined call, across gateway restarts", () => {
  it("keeps the privacy time with the camera", async () => {
    await declineACallHome();
    const until = (await device()).privacyUntil!;
    const minutes = (until.getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(29); // the household's default: 30 minutes
    expect(minutes).toBeLessThanOrEqual(30);
  });

  it("a privacy time that ended while no gateway ran is ended when the next one starts", async () => {
    await stopGateway();
    // Half an hour passes with the gateway down: the stored end is now in the past.
    await startGatewayAfter(async (s) => {
      await s.device.update({ where: { id: deviceId }, data: { privacyUntil: new Date(Date.now() - 1000) } });
    });
    await waitFor("privacy off on the camera", () => !camera.snapshot().privacy, 30_000);
    await waitFor("privacy time cleared", async () => {
      const d = await device();
      return !d.privacy && d.privacyUntil === null;
    });
  });

  it("a privacy time that ended while the camera was away ends when it comes back", async () => {
    await cameraOnline();
    await declineACallHome();
    await camera.stop();
    await waitFor("camera offline", async () => (await device()).connection === "offline", 30_000);
    await stopGateway();
    // The next gateway finds the time ended, but cannot tell a camera that is away: it waits for its return.
    await startGatewayAfter(async (s) => {
      await s.device.update({ where: { id: deviceId }, data: { privacyUntil: new Date(Date.now() - 1000) } });
    });
    expect((await device()).privacyUntil).not.toBeNull();
    await camera.start();
    await waitFor("privacy off on the camera", () => !camera.snapshot().privacy, 30_000);
    await waitFor("privacy time cleared", async () => (await device()).privacyUntil === null);
  });

  it("a privacy time still running is armed again by the next gateway, and ends on time, not before", async () => {
    await cameraOnline();
    await declineACallHome();
    await stopGateway();
    const endsAt = new Date(Date.now() + 5000);
    await startGatewayAfter(async (s) => {
      await s.device.update({ where: { id: deviceId }, data: { privacyUntil: endsAt } });
    });
    await waitFor("privacy off on the camera", () => !camera.snapshot().privacy, 30_000);
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt.getTime()); // polled every 50 ms: it did not end early
    await waitFor("privacy time cleared", async () => (await device()).privacyUntil === null);
  });

  it("the elder switching privacy off early clears the time: a later privacy-on is the elder's to end", async () => {
    await declineACallHome();
    expect((await device()).privacyUntil).not.toBeNull();
    camera.pressPrivacyButton(); // off, by hand
    await waitFor("privacy time cleared", async () => (await device()).privacyUntil === null);
  });
});

/** Changes the stored state as time passing while no gateway ran would have, then starts the next gateway. */
async function startGatewayAfter(change: (db: Stack["db"]) => Promise<void>): Promise<void> {
  const db = createDatabase(database.url, { pgSchema: database.pgSchema });
  await change(db);
  await db.$disconnect();
  await startGateway();
}
