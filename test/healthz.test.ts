// /healthz tells a load balancer whether this gateway can reach its database and broker: 503 "degraded" naming
// what is down, 200 otherwise. Its database ping is shared by the probes of one second (observability.ts).
import Fastify, { type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../core/database.ts";
import { observabilityPlugin } from "../gateway/src/http/observability.ts";
import { createMetrics } from "../gateway/src/metrics.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

const opened: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of opened.reverse()) await close();
});

async function healthApp(db: Database, brokerConnected: boolean): Promise<FastifyInstance> {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(observabilityPlugin, {
    db,
    metrics: createMetrics(),
    brokerConnected: () => brokerConnected,
    startedAt: Date.now(),
    metricsToken: undefined,
  });
  opened.push(() => app.close());
  return app;
}

describe("/healthz", () => {
  it("answers 200 with a reachable database and broker, and the same for probes that share its ping", async () => {
    const testDb: TestDatabase = await createTestDatabase();
    const db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
    opened.push(
      () => testDb.drop(),
      () => db.$disconnect(),
    );
    const app = await healthApp(db, true);
    const replies = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: "GET", url: "/healthz" })));
    for (const reply of replies) {
      expect(reply.statusCode).toBe(200);
      expect(reply.json()).toMatchObject({ status: "ok", database: "ok", broker: "ok" });
    }
  });

  it("answers 503 naming the database when it cannot be reached, and the broker when it is down", async () => {
    const unreachable = createDatabase("postgresql://postgres@127.0.0.1:1/none");
    opened.push(() => unreachable.$disconnect());
    const app = await healthApp(unreachable, false);
    const reply = await app.inject({ method: "GET", url: "/healthz" });
    expect(reply.statusCode).toBe(503);
    expect(reply.json()).toMatchObject({ status: "degraded", database: "down", broker: "down" });
  });
});
