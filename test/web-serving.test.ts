// How the gateway serves the built app: SPA fallback for app paths only, caching by kind of file, and a
// placeholder with a hint when the app has not been built.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webPlugin } from "../gateway/src/http/web.ts";
import { startStack, type Stack } from "./helpers/stack.ts";
import { ensureWebBuild } from "./web-browser.ts";

describe("web app serving", () => {
  let stack: Stack;
  beforeAll(async () => {
    ensureWebBuild();
    stack = await startStack();
  }, 60_000);
  afterAll(() => stack.stop());

  const get = (path: string) => fetch(stack.httpUrl + path);

  it("answers app paths with index.html, revalidated on every load", async () => {
    for (const path of ["/", "/family", "/join/K7P2-9QXM", "/staff/device/cam_x"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(await res.text()).toContain('<div id="app">');
    }
  });

  it("caches hashed assets for a year and the service worker not at all", async () => {
    const asset = readdirSync(join(process.cwd(), "web/dist/assets")).find(
      (f) => f.startsWith("index-") && f.endsWith(".js"),
    )!;
    const res = await get(`/assets/${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    // Precompressed by the build: fetch asks for br/gzip, and the gateway sends the smaller file.
    expect(res.headers.get("content-encoding")).toMatch(/^(br|gzip)$/);
    expect(Number(res.headers.get("content-length"))).toBeLessThan(60_000);
    const sw = await get("/sw.js");
    expect(sw.status).toBe(200);
    expect(sw.headers.get("cache-control")).toBe("no-cache");
    const manifest = await (await get("/manifest.webmanifest")).json();
    expect(manifest).toMatchObject({ lang: "zh-CN", display: "standalone", start_url: "/" });
  });

  it("keeps JSON 404s for the API and plain 404s for missing files", async () => {
    const api = await get("/api/v1/no-such-thing");
    expect(api.status).toBe(404);
    expect((await api.json()).error).toBe("not-found");
    expect((await get("/assets/index-gone.js")).status).toBe(404);
    expect((await get("/favicon.ico")).status).toBe(404);
    expect((await get("/healthz")).status).not.toBe(404);
  });

  it("serves a placeholder with a hint to build when web/dist is missing", async () => {
    const app = Fastify({ logger: false });
    await app.register(webPlugin, { distDir: mkdtempSync(join(tmpdir(), "wx-nodist-")) });
    const res = await app.inject("/");
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("望乡");
    expect(res.body).toContain("npm run build:web");
    await app.close();
  });
});
