// Response headers that keep the web client safe (CSP, no sniffing, no framing) and the CORS policy:
// same origin only unless CORS_ORIGINS names the origins allowed to call the API from a browser.
import fastifyCors from "@fastify/cors";
import type { FastifyInstance } from "fastify";
import fastifyPlugin from "fastify-plugin";

const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "manifest-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join(";");

/**
 * The headers every reply carries: what helmet 8 sets with the policy above (test/security-headers.test.ts holds
 * them equal to @fastify/helmet's), plus the permissions policy. Nothing in them depends on the request, so they
 * are built once: helmet's plugin ran a dozen header functions per reply, ~3 % of a /healthz request's CPU.
 */
export function securityHeaders(https: boolean): Record<string, string> {
  return {
    "content-security-policy": contentSecurityPolicy,
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "origin-agent-cluster": "?1",
    "referrer-policy": "no-referrer",
    // HSTS only means something over HTTPS; over plain HTTP (a village test bench) it would mislead.
    ...(https ? { "strict-transport-security": `max-age=${180 * 86400}` } : {}),
    "x-content-type-options": "nosniff",
    "x-dns-prefetch-control": "off",
    "x-download-options": "noopen",
    "x-frame-options": "SAMEORIGIN",
    "x-permitted-cross-domain-policies": "none",
    "x-xss-protection": "0",
    // The phone's camera (QR scanning) and microphone (talk) are for this origin only.
    "permissions-policy": "camera=(self), microphone=(self), geolocation=()",
  };
}

export const securityPlugin = fastifyPlugin(
  async (app: FastifyInstance, { corsOrigins, https }: { corsOrigins: string[]; https: boolean }) => {
    const headers = securityHeaders(https);
    // Set before routing, so that 404s, errors and static files carry them too; a route may still override one.
    app.addHook("onRequest", (_request, reply, done) => {
      reply.headers(headers);
      done();
    });
    // Without listed origins the browser's same-origin rule is the policy: no CORS hook runs on every request.
    if (!corsOrigins.length) return;
    await app.register(fastifyCors, {
      origin: corsOrigins,
      methods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
      allowedHeaders: ["authorization", "content-type"],
      exposedHeaders: ["location", "link", "retry-after"],
      maxAge: 600,
    });
  },
  { name: "wangxiang-security" },
);
