// The request log at info: one "request completed" line per answered request carrying what Fastify's two lines
// carried, none for the probes (/healthz, /metrics), and errored requests still logged as errors.
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { OneLineRequestLog } from "../gateway/src/http/request-log.ts";

async function loggedLines(level: string, paths: string[]): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const app = Fastify({
    logger: { level, stream: { write: (line: string) => void lines.push(line) } },
    logController: new OneLineRequestLog(level),
  });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/api/v1/things", async () => ({ items: [] }));
  await app.ready();
  for (const url of paths) await app.inject({ method: "GET", url });
  await app.close();
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.reqId);
}

describe("the request log", () => {
  it("writes one line per answered request at info, with the request, status and time", async () => {
    const lines = await loggedLines("info", ["/api/v1/things?token=x", "/healthz", "/nowhere"]);
    const completed = lines.filter((line) => line.msg === "request completed");
    expect(completed.map((line) => (line.req as { url: string }).url)).toEqual([
      "/api/v1/things?token=x", // redaction is the gateway's req serializer (log-redaction.ts), not set here
      "/nowhere",
    ]);
    expect(completed[0]).toMatchObject({ res: { statusCode: 200 }, req: { method: "GET" } });
    expect(completed[0]!.responseTime).toEqual(expect.any(Number));
    expect(lines.filter((line) => line.msg === "incoming request")).toEqual([]);
  });

  it("logs the probes and every arrival at debug", async () => {
    const lines = await loggedLines("debug", ["/healthz"]);
    expect(lines.map((line) => line.msg)).toEqual(["incoming request", "request completed"]);
  });
});
