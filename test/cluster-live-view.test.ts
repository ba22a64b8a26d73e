// Live view from any gateway of a cluster: two broker processes and two gateways on one Redis and one
// database. Gateway A (its own process) starts a camera's stream for a first viewer; the camera's WHIP lands
// on gateway B (its PUBLIC_HTTP_URL) and is routed to A; a browser whose view grant and WHEP go to gateway B
// is served by A's relay and decodes the picture in Chromium. Then A is killed outright: its stream record
// lapses, and a viewer on B starts the camera's stream on B. An account disabled through B loses its views on A.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../core/database.ts";
import { createCamera, type Camera } from "../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../device-client/src/credentials-store.ts";
import type { Gateway } from "../gateway/src/app.ts";
import { streamOwnerKey } from "../gateway/src/live-view/stream-owners.ts";
import type { DemoSeed } from "../gateway/src/seed.ts";
import {
  databaseUrlForProcesses,
  openDatabase,
  startBrokerProcess,
  startClusterGateway,
  startGatewayProcess,
  type BrokerProcess,
  type GatewayProcess,
} from "./helpers/cluster.ts";
import { hasRedis, testRedis, type LocalServer } from "./helpers/local-servers.ts";
import { waitFor, type TestJson } from "./helpers/stack.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";
import {
  chromiumArgs,
  chromiumPath,
  describeTimings,
  hasChromium,
  inboundStats,
  tapWatchAndWaitForPicture,
} from "./helpers/relay-browser.ts";
import { startNodeViewer, type NodeViewer } from "./relay-stack.ts";

const viewTokenSecret = "cluster-live-view-test-secret-0123456789";
const ownerTtlMs = 2000;
const relayEnv = {
  RELAY_ENABLED: "1",
  RELAY_WORKERS: "1",
  RELAY_HOST_ADDRESSES: "127.0.0.1",
  RELAY_RTC_PORT: "0",
  VIEW_TOKEN_SECRET: viewTokenSecret,
  STREAM_OWNER_TTL_MS: String(ownerTtlMs),
  STREAM_STOP_GRACE_S: "2",
  COMMAND_TIMEOUT_MS: "8000",
  WX_DEMO_PASSWORD: "test-password-123",
};

describe.skipIf(!hasChromium || !hasRedis)("live view from any gateway of a cluster", () => {
  let redisDb: LocalServer;
  let redis: Redis;
  let testDb: TestDatabase;
  let db: Database;
  let brokers: BrokerProcess[] = [];
  let gatewayB: { gateway: Gateway; httpUrl: string; seed: DemoSeed | null };
  let gatewayA: GatewayProcess;
  let camera: Camera;
  let deviceId: string;
  let stateDir: string;
  let browser: Browser;
  let firstViewer: NodeViewer | undefined;

  async function api(httpUrl: string, method: string, path: string, token?: string, body?: unknown) {
    const response = await fetch(httpUrl + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as TestJson };
  }
  const login = async (httpUrl: string, username: string) =>
    (await api(httpUrl, "POST", "/api/v1/auth/login", undefined, { username, password: "test-password-123" })).body
      .token as string;
  const viewToken = async (httpUrl: string) => {
    const granted = await api(httpUrl, "POST", `/api/v1/devices/${deviceId}/view`, await login(httpUrl, "family"));
    expect(granted.status).toBe(200);
    return granted.body.token as string;
  };
  const ownerId = async () => JSON.parse((await redis.get(streamOwnerKey(deviceId))) ?? "null")?.gatewayId ?? null;

  /** The minimal viewer page served by gateway B, watching until it has decoded a steady picture. */
  async function watchInChromium(token: string): Promise<{ page: Page; framesDecoded: number }> {
    const page = await browser.newPage();
    await page.goto(`${gatewayB.httpUrl}/viewer/index.html#camera=${deviceId}&token=${token}`);
    console.log(describeTimings("viewer on gateway B", await tapWatchAndWaitForPicture(page)));
    const first = await inboundStats(page);
    await waitFor(
      "frames keep being decoded",
      async () => (await inboundStats(page)).framesDecoded > first.framesDecoded + 10,
    );
    const later = await inboundStats(page);
    expect(later.videoWidth).toBe(640);
    return { page, framesDecoded: later.framesDecoded };
  }

  beforeAll(async () => {
    redisDb = await testRedis();
    redis = new Redis(redisDb.url);
    testDb = await createTestDatabase();
    db = openDatabase(testDb);
    const processDbUrl = databaseUrlForProcesses(testDb);
    brokers = await Promise.all(
      [0, 1].map(() => startBrokerProcess({ REDIS_URL: redisDb.url, DATABASE_URL: processDbUrl })),
    );
    // B first: it seeds the demo data and becomes the ingest leader. Cameras are told broker 1's address.
    gatewayB = await startClusterGateway(db, databaseUrlForProcesses(testDb), {
      ...relayEnv,
      REDIS_URL: redisDb.url,
      MQTT_URL: brokers[1]!.url,
      PUBLIC_MQTT_URL: brokers[0]!.url,
    });
    // A tells cameras to publish at B's address: the camera's WHIP must find its way back to A.
    gatewayA = await startGatewayProcess({
      ...relayEnv,
      DATABASE_URL: processDbUrl,
      REDIS_URL: redisDb.url,
      MQTT_URL: brokers[0]!.url,
      PUBLIC_HTTP_URL: gatewayB.httpUrl,
      PUBLIC_MQTT_URL: brokers[0]!.url,
    });
    [camera, deviceId, stateDir] = await installStreamingCamera();
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  }, 120_000);

  async function installStreamingCamera(): Promise<[Camera, string, string]> {
    const box = gatewayB.seed!.cameras[0]!;
    const bound = await api(
      gatewayB.httpUrl,
      "POST",
      `/api/v1/households/${gatewayB.seed!.householdId}/devices`,
      await login(gatewayB.httpUrl, "installer"),
      {
        serial: box.serial,
        claimCode: box.claimCode,
      },
    );
    expect(bound.status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), "wx-cluster-live-"));
    const cam = createCamera({
      serial: box.serial,
      claimCode: box.claimCode,
      gatewayUrl: gatewayA.httpUrl,
      store: createCredentialsStore(dir),
      heartbeatIntervalS: 1,
      media: { hostAddresses: ["127.0.0.1"] },
    });
    await cam.start();
    const id = bound.body.id as string;
    await waitFor(
      "camera online",
      async () => (await db.device.findUnique({ where: { id } }))?.connection === "online",
      20_000,
    );
    return [cam, id, dir];
  }

  afterAll(async () => {
    await firstViewer?.stop().catch(() => undefined);
    await browser?.close();
    await camera?.stop();
    await gatewayA?.kill();
    await gatewayB?.gateway.stop();
    await Promise.all(brokers.map((broker) => broker.stop()));
    redis?.disconnect();
    await db?.$disconnect();
    await testDb?.drop();
    await redisDb?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it("a browser whose WHEP request goes to gateway B watches the stream gateway A carries", async () => {
    firstViewer = await startNodeViewer(
      `${gatewayA.httpUrl}/api/v1/whep/${deviceId}`,
      await viewToken(gatewayA.httpUrl),
    );
    await firstViewer.firstVideoAt;
    const gatewayAId = await ownerId();
    expect(gatewayAId).not.toBeNull();
    expect(gatewayAId).not.toBe(gatewayB.gateway.streamOwners!.selfId);

    const { page } = await watchInChromium(await viewToken(gatewayB.httpUrl));
    // B carried none of it itself: the camera's WHIP, the grant and the WHEP were all proxied to A.
    expect(gatewayB.gateway.streamOwners!.heldCameras()).toEqual([]);
    const routed = await gatewayB.gateway.metrics.streamRouting.get();
    const proxied = routed.values.find((v) => v.labels.outcome === "proxied")?.value ?? 0;
    expect(proxied).toBeGreaterThanOrEqual(3);
    expect(await ownerId()).toBe(gatewayAId);
    expect(camera.snapshot().media.streamsStarted).toBe(1);

    // Staff disabling the account through gateway B cuts its views off on gateway A, where they are. (Privacy
    // mode takes the same path, but the camera also stops streaming by itself then, which would end them too.)
    const staff = await login(gatewayB.httpUrl, "staff");
    const familyId = (await db.user.findUniqueOrThrow({ where: { username: "family" } })).id;
    expect((await api(gatewayB.httpUrl, "POST", `/api/v1/users/${familyId}/disable`, staff)).status).toBe(200);
    let views: { endReason: string | null }[] = [];
    await waitFor("both views ended on gateway A", async () => {
      views = await db.viewSession.findMany({ where: { deviceId } });
      return views.length === 2 && views.every((view) => view.endReason === "account-disabled");
    }).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(views)}`);
    });
    expect((await api(gatewayB.httpUrl, "POST", `/api/v1/users/${familyId}/enable`, staff)).status).toBe(200);
    await firstViewer.stop();
    await page.close();
  }, 90_000);

  it("when gateway A dies its record lapses, and a viewer on B restarts the stream on B", async () => {
    // A carries the stream again for a viewer of its own.
    firstViewer = await startNodeViewer(
      `${gatewayA.httpUrl}/api/v1/whep/${deviceId}`,
      await viewToken(gatewayA.httpUrl),
    );
    await firstViewer.firstVideoAt;
    expect(await ownerId()).not.toBe(gatewayB.gateway.streamOwners!.selfId);
    const streamsBefore = camera.snapshot().media.streamsStarted;
    await gatewayA.kill();
    await waitFor(
      "A's stream record lapses",
      async () => (await redis.exists(streamOwnerKey(deviceId))) === 0,
      ownerTtlMs * 5,
    );

    const { framesDecoded } = await watchInChromium(await viewToken(gatewayB.httpUrl));
    expect(framesDecoded).toBeGreaterThan(10);
    expect(await ownerId()).toBe(gatewayB.gateway.streamOwners!.selfId);
    expect(gatewayB.gateway.streamOwners!.heldCameras()).toEqual([deviceId]);
    expect(camera.snapshot().media.streamsStarted).toBe(streamsBefore + 1);
  }, 90_000);
});
