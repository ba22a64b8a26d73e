// The Fastify instance every HTTP part registers on: logging, zod compilers, the one error shape, the NUL
// check, request metrics, OpenAPI, security headers and WebSockets. Built at construction: no broker needed.
import { DomainError } from "../../../protocol/errors.ts";
import { readFileSync } from "node:fs";
import fastifySwagger from "@fastify/swagger";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { unstorableText } from "../../../protocol/text.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { installErrorHandler } from "./errors.ts";
import { securityPlugin } from "./security.ts";
import { redactedRequest } from "./log-redaction.ts";
import { OneLineRequestLog } from "./request-log.ts";
import { fastifyTrustProxy } from "./trusted-proxies.ts";

export interface HttpServerOptions {
  logLevel: string;
  /** Where log lines go (default stdout). */
  logStream?: { write(line: string): void };
  tls: { certFile: string; keyFile: string } | undefined;
  corsOrigins: string[];
  /** Proxies whose X-Forwarded-For is believed (TRUST_PROXY); empty: none. */
  trustedProxies: string[];
  /** ws's subprotocol choice for WebSocket routes. */
  handleProtocols?: (protocols: Set<string>) => string | false;
  metrics: GatewayMetrics;
  /** A request whose headers and body have not all arrived by then is answered 408 and its connection closed. */
  requestTimeoutMs: number;
}

/** How often Node looks for requests past their deadline (its default, 30 s, would let a slow body run double). */
const TIMEOUT_CHECK_MS = 1000;
/** How long a stopping server lets requests already running finish (the whole stop has 8 s). */
const CLOSE_DRAIN_MS = 3000;

export function createHttpServer({
  logLevel,
  logStream,
  tls,
  corsOrigins,
  trustedProxies,
  handleProtocols,
  metrics,
  requestTimeoutMs,
}: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    ...listenerOptions(tls, requestTimeoutMs),
    requestTimeout: requestTimeoutMs,
    logger: loggerOptions(logLevel, logStream),
    // One line per answered request, not Fastify's two (request-log.ts).
    logController: new OneLineRequestLog(logLevel),
    bodyLimit: 256 * 1024,
    trustProxy: fastifyTrustProxy(trustedProxies),
    // A URL that does not decode (/devices/%ff) fails before routing; answer it in the one error shape too.
    frameworkErrors: (error: Error, _request: unknown, reply: FastifyReply) =>
      void reply.code(400).send({ error: "bad-url", message: error.message }),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app, (route, error) => metrics.httpClientErrors.inc({ route, error }));
  // Before any route sees it: text that cannot be stored (NUL, unpaired surrogates) is refused everywhere
  // (protocol/text.ts).
  app.addHook("preValidation", (request, _reply, done) => {
    const fault = unstorableText(request.params) ?? unstorableText(request.query) ?? unstorableText(request.body);
    done(fault ? new DomainError(fault) : undefined);
  });
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.register(fastifySwagger, {
    openapi: {
      info: { title: "Wangxiang 望乡 gateway API", version: "1" },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  app.register(securityPlugin, { corsOrigins, https: Boolean(tls) });
  app.register(fastifyWebsocket, {
    options: { maxPayload: 64 * 1024, ...(handleProtocols ? { handleProtocols } : {}) },
  });
  closeConnectionsAfterLastResponse(app);
  return app;
}

/** HTTPS with the given certificate (TLS 1.2 at least), or plain HTTP; both with the request deadlines. */
function listenerOptions(tls: HttpServerOptions["tls"], requestTimeoutMs: number) {
  if (!tls) return { http: deadlines(requestTimeoutMs) };
  return {
    https: {
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      minVersion: "TLSv1.2" as const,
      ...deadlines(requestTimeoutMs),
    },
  };
}

/** No secret in a log line: credentials in headers and bodies are redacted, and the logged URL never shows them. */
function loggerOptions(level: HttpServerOptions["logLevel"], stream: HttpServerOptions["logStream"]) {
  return {
    level,
    redact: [
      "req.headers.authorization",
      'req.headers["sec-websocket-protocol"]',
      "body.password",
      "body.claimCode",
      "mqttPassword",
    ],
    // Query strings and invite codes in paths can carry secrets: the logged URL never shows them.
    serializers: { req: redactedRequest },
    ...(stream ? { stream } : {}),
  };
}

/** The headers' deadline no later than the request's: with it later, Node 20 did not enforce the request deadline here. */
function deadlines(requestTimeoutMs: number) {
  return {
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    headersTimeout: Math.min(requestTimeoutMs, 60_000),
  };
}

/**
 * Node's server.close() ends only the connections idle at that moment. One whose request was still running would
 * stay open after its answer for the keep-alive timeout (72 s) and hold the close. While closing, every answer
 * says "Connection: close" (Node then ends the socket), and a connection left idle by an answer whose headers went
 * out before the close (a long download) is ended once that answer is complete. A request still unfinished
 * CLOSE_DRAIN_MS after the close began (a client that stopped sending its body) is cut off then.
 */
function closeConnectionsAfterLastResponse(app: FastifyInstance): void {
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
    const cutOff = setTimeout(() => app.server.closeAllConnections(), CLOSE_DRAIN_MS).unref();
    app.server.once("close", () => clearTimeout(cutOff));
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) reply.header("connection", "close");
    done(null, payload);
  });
  app.addHook("onResponse", (_request, _reply, done) => {
    if (closing) setImmediate(() => app.server.closeIdleConnections());
    done();
  });
}

/** Listens on the configured address; returns the port (the one chosen, for port 0). */
export async function listenOn(app: FastifyInstance, port: number, host: string): Promise<number> {
  try {
    await app.listen({ port, host });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new Error(`HTTP port ${port} is already in use; set HTTP_PORT to another port`, { cause: error });
    throw error;
  }
  const address = app.server.address();
  return typeof address === "object" && address ? address.port : port;
}

/** This gateway's own URL on loopback, from the port HTTP listens on (the configured one before it listens). */
export function ownUrl(app: FastifyInstance, configuredPort: number, tls: unknown): string {
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : configuredPort;
  return `${tls ? "https" : "http"}://127.0.0.1:${port}`;
}
