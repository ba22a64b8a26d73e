// Every error the API answers with has one shape: { error: code, message, details? }, its code from the one
// catalogue (protocol/errors.ts), which also gives the status and the default message. Services and routes throw
// DomainError(code); this handler is the only place that turns anything into a reply.
import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { DomainError, errorReplyFor, isDomainError, notFoundError } from "../../../protocol/errors.ts";

export function installErrorHandler(app: FastifyInstance, onClientError: (route: string, code: string) => void): void {
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    const route = request.routeOptions.url ?? "unknown";
    if (isDomainError(error)) {
      // Counted by code like every refusal, a camera that did not answer or a shutdown included; only
      // "internal" is a fault of ours worth a log line.
      onClientError(route, error.code);
      if (error.code === "internal") request.log.error({ err: error }, error.message);
      if (error.status === 429 && typeof (error.details as { retryAfterS?: unknown })?.retryAfterS === "number")
        reply.header("retry-after", String((error.details as { retryAfterS: number }).retryAfterS));
      return reply.status(error.status).send(error.toReply());
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      onClientError(route, "invalid-request");
      const details = error.validation.map((v) => ({
        where: `${error.validationContext ?? "body"}${v.instancePath}`,
        message: v.message,
      }));
      return reply.status(400).send({
        ...errorReplyFor("invalid-request", details.map((d) => `${d.where}: ${d.message}`).join("; ")),
        details,
      });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, route }, "reply did not match its schema");
      return reply.status(500).send(errorReplyFor("internal", "the server made a malformed reply"));
    }
    // A row that vanished or appeared between our check and our write (a concurrent request): the client's answer, not ours.
    const prismaCode = (error as { code?: unknown }).code;
    if (prismaCode === "P2025" || prismaCode === "P2002") {
      const mapped = prismaCode === "P2025" ? notFoundError("record") : new DomainError("conflict");
      onClientError(route, mapped.code);
      return reply.status(mapped.status).send(mapped.toReply());
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      onClientError(route, error.code ?? "bad-request");
      const code =
        error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
          ? "unsupported-media-type"
          : error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
            ? "payload-too-large"
            : "bad-request";
      return reply.status(status).send(errorReplyFor(code, error.message));
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: error }, "database unavailable");
      return reply.status(503).send(errorReplyFor("database-unavailable"));
    }
    request.log.error({ err: error }, "unhandled error");
    return reply.status(500).send(errorReplyFor("internal"));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorReplyFor("not-found", `no route ${request.method} ${request.url.split("?")[0]}`)),
  );
}

function isDatabaseUnavailable(error: unknown): boolean {
  const text = String((error as Error)?.message ?? "");
  return /ECONNREFUSED|Can't reach database|database is locked|Connection terminated|ETIMEDOUT/i.test(text);
}
