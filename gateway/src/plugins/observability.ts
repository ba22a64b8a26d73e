// /healthz, /metrics (Prometheus text) and /openapi.json.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { healthReply } from "../../../protocol/http.ts";
import type { GatewayContext } from "../context.ts";

export async function observabilityPlugin(app: FastifyInstance, { ctx, startedAt }: { ctx: GatewayContext; startedAt: number }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get("/healthz", { schema: { tags: ["operations"], response: { 200: healthReply, 503: healthReply } } }, async (_request, reply) => {
    const database = await ctx.db.$queryRawUnsafe("SELECT 1").then(() => "ok" as const, () => "down" as const);
    const broker = ctx.ingest.isConnected ? "ok" as const : "down" as const;
    const healthy = database === "ok" && broker === "ok";
    return reply.status(healthy ? 200 : 503).send({ status: healthy ? "ok" : "degraded", database, broker, uptimeS: Math.round((Date.now() - startedAt) / 1000) });
  });

  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    const online = await ctx.db.device.count({ where: { claimState: "claimed", connection: "online" } }).catch(() => null);
    if (online !== null) {
      ctx.metrics.devicesOnline.set(online);
      ctx.metrics.devicesOffline.set(await ctx.db.device.count({ where: { claimState: "claimed", connection: "offline" } }));
    }
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
