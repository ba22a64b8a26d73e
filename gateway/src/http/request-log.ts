// The request log: one line per answered request instead of Fastify's two ("incoming request" when it arrives,
// "request completed" when answered), with the fields of both (reqId, req with the URL redacted, res.statusCode,
// responseTime): half the log work of every request. Errored requests and Fastify's other lines stay as they were.
import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

/** Probes polled by load balancers and Prometheus: logged at debug only, not a line per poll at info. */
const probeRoutes = new Set(["/healthz", "/metrics"]);

export class OneLineRequestLog extends LogController {
  readonly #everyArrival: boolean;

  /** @param logLevel the logger's level: at debug and trace each request is also logged as it arrives */
  constructor(logLevel: string) {
    super();
    this.#everyArrival = logLevel === "debug" || logLevel === "trace";
  }

  /** A WebSocket's request is never answered over HTTP (the socket takes it over): its line is written now. */
  override incomingRequest(request: FastifyRequest): void {
    if (request.headers.upgrade) request.log.info({ req: request }, "incoming request");
    else if (this.#everyArrival) request.log.debug({ req: request }, "incoming request");
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
      return;
    }
    // A level below the logger's is pino's no-op: nothing is serialized.
    const level = probeRoutes.has(request.routeOptions.url ?? "") ? "debug" : "info";
    reply.log[level]({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}
