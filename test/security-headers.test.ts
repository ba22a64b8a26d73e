// The security headers are built once (gateway/src/http/security.ts) instead of by @fastify/helmet per reply:
// this holds them equal to what helmet sets with the same policy, over HTTP and HTTPS, so that an upgrade of
// helmet's defaults shows here.
import fastifyHelmet from "@fastify/helmet";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { securityHeaders } from "../gateway/src/http/security.ts";

async function helmetHeaders(https: boolean): Promise<Record<string, string>> {
  const app = Fastify();
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:", "blob:"],
        mediaSrc: ["'self'", "blob:"],
        connectSrc: ["'self'"],
        workerSrc: ["'self'", "blob:"],
        manifestSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
    strictTransportSecurity: https ? { maxAge: 180 * 86400, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: "no-referrer" },
  });
  app.get("/", async () => ({ ok: true }));
  const reply = await app.inject({ method: "GET", url: "/" });
  await app.close();
  const ignored = new Set(["content-type", "content-length", "date", "connection", "keep-alive"]);
  return Object.fromEntries(
    Object.entries(reply.headers)
      .filter(([name]) => !ignored.has(name))
      .map(([name, value]) => [name, String(value)]),
  );
}

describe("security headers", () => {
  for (const https of [false, true])
    it(`are helmet's, plus the permissions policy (${https ? "HTTPS" : "HTTP"})`, async () => {
      const { "permissions-policy": permissions, ...ours } = securityHeaders(https);
      expect(ours).toEqual(await helmetHeaders(https));
      expect(permissions).toBe("camera=(self), microphone=(self), geolocation=()");
    });
});
