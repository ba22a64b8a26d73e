// The web client. For now a placeholder page; the full app is built separately.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

const webRoot = join(dirname(fileURLToPath(import.meta.url)), "../../../web");

export async function webPlugin(app: FastifyInstance): Promise<void> {
  app.get("/", { schema: { hide: true } }, async (_request, reply) => reply.type("text/html; charset=utf-8").send(await readFile(join(webRoot, "index.html"))));
}
