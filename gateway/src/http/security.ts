// Response headers that keep the web client safe (CSP, no sniffing, no framing) and the CORS policy:
// same origin only unless CORS_ORIGINS names the origins allowed to call the API from a browser.
import fastifyCors from "@fastify/cors";
import fastifyHelmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import fastifyPlugin from "fastify-plugin";

export const securityPlugin = fastifyPlugin(
  async (app: FastifyInstance, { corsOrigins, https }: { corsOrigins: string[]; https: boolean }) => {
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
      // HSTS only means something over HTTPS; over plain HTTP (a village test bench) it would mislead.
      strictTransportSecurity: https ? { maxAge: 180 * 86400, includeSubDomains: false } : false,
      crossOriginEmbedderPolicy: false,
      referrerPolicy: { policy: "no-referrer" },
    });
    app.addHook("onSend", async (_request, reply) => {
      // The phone's camera (QR scanning) and microphone (talk) are for this origin only.
      reply.header("permissions-policy", "camera=(self), microphone=(self), geolocation=()");
    });
    await app.register(fastifyCors, {
      origin: corsOrigins.length ? corsOrigins : false,
      methods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
      allowedHeaders: ["authorization", "content-type"],
      exposedHeaders: ["location", "link", "retry-after"],
      maxAge: 600,
    });
  },
  { name: "wangxiang-security" },
);
