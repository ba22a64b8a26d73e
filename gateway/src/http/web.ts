// The web client: web/dist (built by `npm run build:web`, which `npm install` runs) as a single-page app.
// Hashed assets are cached for a year; index.html, the service worker and the manifest are revalidated on
// every load so a new release reaches phones at once. Paths that are not files get index.html (the app
// routes them), except the API's and the server's own paths, which keep their JSON 404s.
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";

const webRoot = join(dirname(fileURLToPath(import.meta.url)), "../../../web");
const serverPaths = /^\/(api|openapi\.json|healthz|metrics|viewer)(\/|$|\?)/;

export interface WebOptions {
  /** The built app; defaults to web/dist. */
  distDir?: string;
}

export async function webPlugin(app: FastifyInstance, options: WebOptions = {}): Promise<void> {
  const distDir = options.distDir ?? join(webRoot, "dist");
  const indexPath = join(distDir, "index.html");
  if (!existsSync(indexPath)) {
    app.log.warn(`web app not built (${indexPath} is missing): serving a placeholder; run \`npm run build:web\``);
    const placeholder = await readFile(join(webRoot, "placeholder.html"), "utf8");
    app.get("/", { schema: { hide: true } }, async (_request, reply) =>
      reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").send(placeholder),
    );
    return;
  }

  await app.register(fastifyStatic, {
    root: distDir,
    wildcard: false, // files are matched on demand below, so new builds need no restart
    index: false,
    cacheControl: false,
    preCompressed: true, // the build writes .br/.gz beside each asset (web/precompress.ts)
    setHeaders(res, path) {
      res.setHeader(
        "cache-control",
        /[\\/]assets[\\/]/.test(path) ? "public, max-age=31536000, immutable" : "no-cache",
      );
      if (path.endsWith("sw.js")) res.setHeader("service-worker-allowed", "/");
    },
  });

  const sendIndex = (reply: FastifyReply) => reply.header("cache-control", "no-cache").sendFile("index.html");
  app.get("/", { schema: { hide: true } }, async (_request, reply) => sendIndex(reply));
  app.get("/*", { schema: { hide: true } }, async (request, reply) => {
    const path = (request.params as { "*": string })["*"];
    if (serverPaths.test(request.url)) return reply.callNotFound();
    if (path && !path.includes("..") && isFile(join(distDir, path))) return reply.sendFile(path);
    // A missing hashed asset is a 404, not the app: a stale page asking for last release's chunk must fail loudly.
    if (path.startsWith("assets/") || /\.[a-z0-9]{2,5}$/i.test(path)) return reply.callNotFound();
    return sendIndex(reply);
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
