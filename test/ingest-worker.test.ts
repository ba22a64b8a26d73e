// The ingest worker thread against a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL): heartbeats
// and statuses written off the event loop, a job sent twice taking effect once, a worker killed mid-stream
// replaced with nothing lost or doubled, a gateway stopped with heartbeats still queued writing them all, and
// the bounded queue dropping (and counting) only past its limit.
import { afterEach, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../core/database.ts";
import { randomId } from "../core/secrets.ts";
import { HeartbeatWriter } from "../gateway/src/device-plane/heartbeat-writer.ts";
import { IngestThread } from "../gateway/src/device-plane/ingest/ingest-thread.ts";
import type { HeartbeatRow, IngestJob, StatusWrite } from "../gateway/src/device-plane/ingest/protocol.ts";
import { ingestApplicationName } from "../gateway/src/device-plane/ingest/postgres-store.ts";
import { openIngestStore } from "../gateway/src/device-plane/ingest/store.ts";
import { deviceTelemetryTopic } from "../protocol/topics.ts";
import { connectAsDevice, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const quietLog = { warn: () => undefined, error: () => undefined };

/** The URL a worker opens: the test schema named in it on PostgreSQL. */
function workerUrl(testDb: TestDatabase): string {
  if (!testDb.pgSchema) return testDb.url;
  const url = new URL(testDb.url);
  url.searchParams.set("schema", testDb.pgSchema);
  return url.toString();
}

async function databaseWithCameras(count: number): Promise<{ testDb: TestDatabase; db: Database; ids: string[] }> {
  const testDb = await createTestDatabase();
  const db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
  cleanups.push(async () => {
    await db.$disconnect();
    await testDb.drop();
  });
  const ids = Array.from({ length: count }, (_, i) => `cam_ingest${String(i).padStart(4, "0")}`);
  await db.device.createMany({
    data: ids.map((id) => ({ id, serial: `SN-${id}`, claimCodeHash: "x", claimState: "claimed" })),
  });
  return { testDb, db, ids };
}

function startThread(testDb: TestDatabase, restarts: { count: number } = { count: 0 }): IngestThread {
  const thread = new IngestThread({
    databaseUrl: workerUrl(testDb),
    log: quietLog,
    onRestart: () => restarts.count++,
  });
  cleanups.push(() => thread.stop());
  return thread;
}

const heartbeatRow = (deviceId: string, atMs: number): HeartbeatRow => ({
  deviceId,
  atMs,
  uptimeS: 100,
  rssi: -60,
  temperatureC: 31.5,
  firmware: "1.2.0",
  freeStorageMb: 500,
});

const online = (deviceId: string, receivedAtMs: number, session = "s1"): StatusWrite => ({
  deviceId,
  state: "online",
  reason: "boot",
  session,
  receivedAtMs,
});

describe("ingest worker thread", () => {
  it("reports its own heap on request (benchmarks count it in memory per connection), and null once stopped", async () => {
    const { testDb } = await databaseWithCameras(1);
    const thread = startThread(testDb);
    await thread.start();
    const heap = await thread.heap();
    expect(heap).not.toBeNull();
    expect(heap!.usedHeapBytes).toBeGreaterThan(0);
    expect(heap!.totalHeapBytes).toBeGreaterThanOrEqual(heap!.usedHeapBytes);
    await thread.stop();
    expect(await thread.heap()).toBeNull();
  });

  it("writes heartbeats, device rows and statuses, and answers the transitions", async () => {
    const { testDb, db, ids } = await databaseWithCameras(3);
    const thread = startThread(testDb);
    await thread.start();
    const now = Date.now();
    const stored = await thread.submit({
      heartbeats: ids.map((id) => heartbeatRow(id, now)),
      deviceRows: ids.map((id) => ({
        deviceId: id,
        heartbeat: heartbeatRow(id, now),
        privacy: true,
        firmware: "1.3.0",
      })),
      statuses: [],
    });
    expect(stored.transitions).toEqual([]);
    const statuses = await thread.submit({
      heartbeats: [],
      deviceRows: [],
      statuses: [online(ids[0]!, now), online(ids[1]!, now), { ...online(ids[1]!, now + 1), state: "offline" }],
    });
    expect(statuses.transitions.map((t) => [t.deviceId, t.state])).toEqual([
      [ids[0], "online"],
      [ids[1], "online"],
      [ids[1], "offline"],
    ]);
    expect(new Map(statuses.connections)).toEqual(
      new Map([
        [ids[0], "online"],
        [ids[1], "offline"],
      ]),
    );
    expect(await db.telemetrySample.count()).toBe(3);
    const first = await db.device.findUniqueOrThrow({ where: { id: ids[0]! } });
    expect(first).toMatchObject({ connection: "online", sessionId: "s1", privacy: true, firmware: "1.3.0", rssi: -60 });
    expect(first.lastHeartbeatAt?.getTime()).toBe(now);
    expect(await db.deviceStatusChange.count({ where: { deviceId: ids[1]! } })).toBe(2);
  });

  it("a job written twice (sent again after a crash) takes effect once and answers the same outcome", async () => {
    const { testDb, db, ids } = await databaseWithCameras(2);
    const store = await openIngestStore(workerUrl(testDb));
    cleanups.push(async () => store.close());
    const job: IngestJob = {
      id: randomId("job_"),
      heartbeats: ids.map((id) => heartbeatRow(id, Date.now())),
      deviceRows: [],
      statuses: [online(ids[0]!, Date.now())],
    };
    const first = await store.write(job);
    const again = await store.write(job);
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ ...first, replayed: true });
    expect(await db.telemetrySample.count()).toBe(2);
    expect(await db.deviceStatusChange.count()).toBe(1);
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    "PostgreSQL: a connection cut under the worker loses no job: the one that meets the cut goes again on a new one",
    async () => {
      const { testDb, db, ids } = await databaseWithCameras(1);
      const store = await openIngestStore(workerUrl(testDb));
      cleanups.push(async () => store.close());
      const job = (): IngestJob => ({
        id: randomId("job_"),
        heartbeats: [heartbeatRow(ids[0]!, Date.now())],
        deviceRows: [],
        statuses: [],
      });
      await store.write(job());
      const cut = await db.$queryRawUnsafe<{ cut: boolean }[]>(
        `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE application_name = $1`,
        ingestApplicationName(testDb.pgSchema),
      );
      expect(cut).toEqual([{ cut: true }]);
      expect((await store.write(job())).replayed).toBe(false);
      expect((await store.write(job())).replayed).toBe(false);
      expect(await db.telemetrySample.count()).toBe(3);
    },
  );

  it("a worker killed while jobs are in flight is replaced: every heartbeat stored exactly once", async () => {
    const { testDb, db, ids } = await databaseWithCameras(20);
    const restarts = { count: 0 };
    const thread = startThread(testDb, restarts);
    await thread.start();
    const jobs = 40;
    const perJob = 50;
    let answered = 0;
    const base = Date.now();
    const submitted = Array.from({ length: jobs }, (_, j) =>
      thread
        .submit({
          heartbeats: Array.from({ length: perJob }, (_, i) =>
            heartbeatRow(ids[i % ids.length]!, base + j * perJob + i),
          ),
          deviceRows: [],
          statuses: [],
        })
        .then(() => answered++),
    );
    await waitFor("the first jobs answered", () => answered >= 2);
    await thread.terminateWorkerAbruptly();
    await Promise.all(submitted);
    expect(restarts.count).toBe(1);
    expect(await db.telemetrySample.count()).toBe(jobs * perJob);
    expect(thread.unansweredJobs).toBe(0);
  });

  it("stop() drains: every job submitted before it is committed", async () => {
    const { testDb, db, ids } = await databaseWithCameras(5);
    const thread = startThread(testDb);
    await thread.start();
    const submitted = Array.from({ length: 20 }, (_, j) =>
      thread.submit({ heartbeats: ids.map((id, i) => heartbeatRow(id, j * 10 + i)), deviceRows: [], statuses: [] }),
    );
    await thread.stop();
    await Promise.all(submitted);
    expect(await db.telemetrySample.count()).toBe(20 * ids.length);
    await expect(thread.submit({ heartbeats: [], deviceRows: [], statuses: [] })).rejects.toThrow(/stopped/);
  });
});

describe("heartbeat writer on the ingest worker", () => {
  it("a backlog is written in jobs of at most 5,000 samples, device rows with the last; nothing lost", async () => {
    const { testDb, db, ids } = await databaseWithCameras(10);
    const thread = startThread(testDb);
    await thread.start();
    const jobSizes: number[] = [];
    const writer = new HeartbeatWriter({
      thread,
      flushMs: 600_000,
      maxQueued: 100_000,
      onStored: (batch) => jobSizes.push(batch.length),
      onError: (error) => {
        throw error;
      },
      onDropped: () => undefined,
    });
    const base = Date.now();
    for (let i = 0; i < 12_001; i++) {
      const heartbeat = { at: new Date(base + i).toISOString(), uptimeS: i, rssi: -60, temperatureC: 30 };
      writer.add({
        deviceId: ids[i % ids.length]!,
        heartbeat: { ...heartbeat, firmware: "2.0.0", freeStorageMb: 10, privacy: false },
        receivedAt: new Date(base + i),
      });
    }
    const eventStored = writer.applyDeviceChange(ids[0]!, { privacy: true });
    await writer.flush(); // resolves once everything pending when it was called is committed (what stop() relies on)
    expect(jobSizes).toEqual([5000, 5000, 2001]);
    expect(await db.telemetrySample.count()).toBe(12_001);
    await eventStored;
    const last = await db.device.findUniqueOrThrow({ where: { id: ids[0]! } });
    expect({ privacy: last.privacy, uptimeS: last.uptimeS }).toEqual({ privacy: true, uptimeS: 12_000 });
  });
});

async function publishHeartbeats(stack: Stack, count: number): Promise<void> {
  const camera = await installDemoCamera(stack, 0);
  const client = await connectAsDevice(stack, camera.deviceId, camera.password);
  for (let i = 0; i < count; i++) {
    const heartbeat = { at: new Date().toISOString(), uptimeS: i, rssi: -60, temperatureC: 30, firmware: "1.0.0" };
    await client.publishAsync(
      deviceTelemetryTopic(camera.deviceId),
      JSON.stringify({ ...heartbeat, freeStorageMb: 100, privacy: false }),
      { qos: 1 },
    );
  }
  client.end(true);
}

describe("gateway with the ingest worker", () => {
  it("heartbeats still waiting for their batch when the gateway stops are all written", async () => {
    // A flush interval far longer than the test: only stop() can write them.
    const stack = await startStack({ HEARTBEAT_FLUSH_MS: "600000" });
    cleanups.push(() => stack.stop());
    await publishHeartbeats(stack, 30);
    await waitFor("30 heartbeats received", () => stack.gateway.heartbeats.queued === 30);
    expect(await stack.db.telemetrySample.count()).toBe(0);
    await stack.gateway.stop();
    expect(await stack.db.telemetrySample.count()).toBe(30);
  });

  it("past INGEST_MAX_QUEUED_HEARTBEATS new heartbeats are dropped and counted; the rest are stored", async () => {
    const stack = await startStack({ HEARTBEAT_FLUSH_MS: "600000", INGEST_MAX_QUEUED_HEARTBEATS: "100" });
    cleanups.push(() => stack.stop());
    await publishHeartbeats(stack, 130);
    const metrics = async () => (await fetch(`${stack.httpUrl}/metrics`)).text();
    await waitFor("30 drops counted", async () =>
      /wx_ingest_dropped_total\{kind="telemetry"\} 30\b/.test(await metrics()),
    );
    expect(await metrics()).toMatch(/wx_ingest_queued_heartbeats 100\b/);
    await stack.gateway.heartbeats.flush();
    expect(await stack.db.telemetrySample.count()).toBe(100);
  });
});
