// The minimal live-view page (web/viewer/): /viewer/#camera=<id>&token=<viewer token from POST /devices/{id}/view>
// (in the fragment, which browsers never send to a server).
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

const viewerRoot = join(dirname(fileURLToPath(import.meta.url)), "../../../web/viewer");
const files: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "viewer.js": "text/javascript; charset=utf-8",
};

export async function viewerPagePlugin(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { file?: string } }>("/viewer/:file?", { schema: { hide: true } }, async (request, reply) => {
    const name = request.params.file || "index.html";
    const type = files[name];
    if (!type) return reply.status(404).send({ error: "not-found", message: "no such file" });
    return reply
      .type(type)
      .header("cache-control", "no-cache")
      .send(await readFile(join(viewerRoot, name)));
  });
}
