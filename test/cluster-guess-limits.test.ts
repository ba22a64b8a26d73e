// Guess limits shared by a cluster's gateways through Redis: wrong passwords and claim codes sent to gateway A
// count on gateway B, so spreading guesses over gateways buys nothing; and the Redis counter keeps the same
// policy, step by step, as the in-process one.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../core/database.ts";
import { AttemptLimiter, type Reservation } from "../gateway/src/access/attempt-limiter.ts";
import { RedisAttemptLimiter } from "../gateway/src/access/shared-attempt-limiter.ts";
import type { DemoSeed } from "../gateway/src/seed.ts";
import type { Gateway } from "../gateway/src/app.ts";
import {
  databaseUrlForProcesses,
  openDatabase,
  startBrokerProcess,
  startClusterGateway,
  type BrokerProcess,
} from "./helpers/cluster.ts";
import { hasRedis, testRedis, type LocalServer } from "./helpers/local-servers.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

let redisDb: LocalServer;
let testDb: TestDatabase;
let db: Database;
let broker: BrokerProcess;
const gateways: { gateway: Gateway; httpUrl: string; seed: DemoSeed | null }[] = [];

async function post(httpUrl: string, path: string, body: unknown) {
  const response = await fetch(httpUrl + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { error?: string } };
}
describe.skipIf(!hasRedis)("guess limits shared through Redis", () => {
  beforeAll(async () => {
    redisDb = await testRedis();
    testDb = await createTestDatabase();
    db = openDatabase(testDb);
    // The broker runs in its own process, as in the other cluster tests: the limits under test are the gateways'.
    broker = await startBrokerProcess({ REDIS_URL: redisDb.url, DATABASE_URL: databaseUrlForProcesses(testDb) });
    for (let i = 0; i < 2; i++)
      gateways.push(
        await startClusterGateway(db, databaseUrlForProcesses(testDb), {
          REDIS_URL: redisDb.url,
          MQTT_URL: broker.url,
          LOGIN_FAILURES_PER_15_MIN: "2",
          CLAIM_FAILURES_PER_15_MIN: "2",
        }),
      );
  }, 60_000);

  afterAll(async () => {
    for (const { gateway } of gateways.reverse()) await gateway.stop();
    await broker?.stop();
    await db?.$disconnect();
    await testDb?.drop();
    await redisDb?.stop();
  });

  describe("guess limits across gateways", () => {
    it("wrong passwords sent to gateway A slow the next sign-in on gateway B", async () => {
      const [a, b] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
      for (let i = 0; i < 2; i++)
        expect(
          (await post(a.httpUrl, "/api/v1/auth/login", { username: "staff", password: "wrong-guess-1234" })).status,
        ).toBe(401);
      const onB = await post(b.httpUrl, "/api/v1/auth/login", { username: "staff", password: "test-password-123" });
      expect(onB.status).toBe(429);
      expect(onB.body.error).toBe("too-many-requests");
      // Another account from the same address is not held up by these two guesses.
      expect(
        (await post(b.httpUrl, "/api/v1/auth/login", { username: "family", password: "test-password-123" })).status,
      ).toBe(200);
    });

    it("wrong claim codes sent to gateway A slow the next claim of that serial on gateway B", async () => {
      const [a, b] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
      const box = a.seed!.cameras[1]!;
      for (let i = 0; i < 2; i++) {
        const guess = await post(a.httpUrl, "/api/v1/devices/claim", { serial: box.serial, claimCode: `ZZZZ-ZZZ${i}` });
        expect(guess.body.error).toBe("claim-code-wrong");
      }
      const onB = await post(b.httpUrl, "/api/v1/devices/claim", { serial: box.serial, claimCode: box.claimCode });
      expect(onB.status).toBe(429);
    });
  });

  describe("the Redis counter", () => {
    it("gives the same answers as the in-process counter, step by step", async () => {
      let now = 1_800_000_000_000;
      const clock = () => now;
      const redis = new Redis(redisDb.url);
      const policy = { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000 };
      const shared = new RedisAttemptLimiter(
        redis,
        "login",
        { pair: policy, address: { ...policy, freeFailures: 4 } },
        { warn() {} },
        clock,
      );
      const local = new AttemptLimiter(policy, { ...policy, freeFailures: 4 }, clock);
      const outcome = (r: Reservation) => (r.ok ? "ok" : `wait ${r.retryAfterS}`);
      // (subject, address, answer right?, then advance the clock by ms)
      const steps: [string, string, boolean, number][] = [
        ["alice", "10.0.0.1", false, 0],
        ["alice", "10.0.0.1", false, 0],
        ["alice", "10.0.0.1", false, 500],
        ["alice", "10.0.0.1", false, 600],
        ["bob", "10.0.0.1", false, 0],
        ["alice", "10.0.0.2", true, 0],
        ["alice", "10.0.0.1", false, 2100],
        ["carol", "10.0.0.1", false, 0],
        ["carol", "10.0.0.1", true, 70_000],
        ["alice", "10.0.0.1", false, 0],
      ];
      const seen: string[][] = [];
      for (const [subject, address, right, advanceMs] of steps) {
        const answers = [await shared.reserve(subject, address), local.reserve(subject, address)];
        if (right) for (const answer of answers) if (answer.ok) answer.succeeded();
        seen.push(answers.map(outcome));
        now += advanceMs;
      }
      redis.disconnect();
      for (const [shared, local] of seen) expect(shared).toBe(local);
      expect(seen.map(([shared]) => shared)).toContain("wait 1");
    });
  });
});
