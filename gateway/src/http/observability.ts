// /healthz, /metrics (Prometheus text) and /openapi.json.
import type { FastifyInstance } from "fastify";
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
}

export async function observabilityPlugin(app: FastifyInstance, { db, metrics, brokerConnected, startedAt }: ObservabilityOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get("/healthz", { schema: { tags: ["operations"], response: { 200: healthReply, 503: healthReply } } }, async (_request, reply) => {
    const database = await db.$queryRawUnsafe("SELECT 1").then(() => "ok" as const, () => "down" as const);
    const broker = brokerConnected() ? "ok" as const : "down" as const;
    const healthy = database === "ok" && broker === "ok";
    return reply.status(healthy ? 200 : 503).send({ status: healthy ? "ok" : "degraded", database, broker, uptimeS: Math.round((Date.now() - startedAt) / 1000) });
  });

  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    const online = await db.device.count({ where: { claimState: "claimed", connection: "online" } }).catch(() => null);
    if (online !== null) {
      metrics.devicesOnline.set(online);
      metrics.devicesOffline.set(await db.device.count({ where: { claimState: "claimed", connection: "offline" } }));
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
