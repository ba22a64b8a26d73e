// /healthz, /metrics (Prometheus text) and /openapi.json.
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { healthReply } from "../../../protocol/http.ts";
import type { Database } from "../../../core/database.ts";
import type { GatewayMetrics } from "../metrics.ts";

export interface ObservabilityOptions {
  db: Database;
  metrics: GatewayMetrics;
  /** Whether the gateway can reach its MQTT broker. */
  brokerConnected(): boolean;
  startedAt: number;
  /** METRICS_TOKEN: Prometheus sends it as a bearer token; without one, /metrics answers this machine only. */
  metricsToken: string | undefined;
}

export async function observabilityPlugin(
  app: FastifyInstance,
  { db, metrics, brokerConnected, startedAt, metricsToken }: ObservabilityOptions,
): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const pingDatabase = sharedPing(db);

  r.get(
    "/healthz",
    {
      schema: { tags: ["operations"], response: { 200: healthReply, 503: healthReply } },
      // Built right below from typed values: written as it is, without zod checking it again on every probe.
      serializerCompiler: () => (reply) => JSON.stringify(reply),
    },
    async (_request, reply) => {
      const database = await pingDatabase();
      const broker = brokerConnected() ? ("ok" as const) : ("down" as const);
      const healthy = database === "ok" && broker === "ok";
      return reply.status(healthy ? 200 : 503).send({
        status: healthy ? "ok" : "degraded",
        database,
        broker,
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
      });
    },
  );

  app.get("/metrics", { schema: { hide: true }, onRequest: metricsAccess(metricsToken) }, async (_request, reply) => {
    const online = await db.device.count({ where: { claimState: "claimed", connection: "online" } }).catch(() => null);
    if (online !== null) {
      metrics.devicesOnline.set(online);
      metrics.devicesOffline.set(await db.device.count({ where: { claimState: "claimed", connection: "offline" } }));
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}

/** How long a ping's answer serves the probes after it: a load balancer polls every few seconds. */
const PING_REUSE_MS = 1000;

/**
 * One database ping at a time, its answer reused for PING_REUSE_MS: probes that arrive while a ping is out, or
 * within a second of its answer, take that answer. A load balancer polling every gateway (or a load test) then
 * costs at most one query a second, not one per probe (Prisma's `SELECT 1` was a fifth of a probe's CPU).
 */
function sharedPing(db: Database): () => Promise<"ok" | "down"> {
  let inFlight: Promise<"ok" | "down"> | null = null;
  let last: { answer: "ok" | "down"; at: number } | null = null;
  return () => {
    if (last && Date.now() - last.at < PING_REUSE_MS) return Promise.resolve(last.answer);
    inFlight ??= db
      .$queryRawUnsafe("SELECT 1")
      .then(
        () => "ok" as const,
        () => "down" as const,
      )
      .then((answer) => {
        last = { answer, at: Date.now() };
        inFlight = null;
        return answer;
      });
    return inFlight;
  };
}

/** With a token, Prometheus must send it as a bearer token; without one, only this machine may scrape. */
function metricsAccess(token: string | undefined) {
  const expected = token ? Buffer.from(`Bearer ${token}`) : null;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!expected) {
      if (isLoopback(request.ip)) return;
      return reply.status(403).send({
        error: "forbidden",
        message: "/metrics answers this machine only; set METRICS_TOKEN to scrape it from elsewhere",
      });
    }
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return;
    return reply
      .status(401)
      .header("www-authenticate", "Bearer")
      .send({ error: "unauthorized", message: "send the metrics token: Authorization: Bearer <METRICS_TOKEN>" });
  };
}

const isLoopback = (ip: string) => ip === "::1" || ip.startsWith("127.") || ip.startsWith("::ffff:127.");
