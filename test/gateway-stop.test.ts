// Stopping the gateway while a request is still running: the request gets its answer, and the stop does not
// wait for that client's keep-alive connection (Node's server.close() ends only the connections idle when it is
// called; Fastify keeps an idle one open for 72 s).
import http from "node:http";
import { describe, expect, it } from "vitest";
import { startStack, waitFor } from "./helpers/stack.ts";

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** A camera's still upload on a slow link: the headers and the first bytes now, the rest when `finish` is called. */
function slowUpload(url: string, agent: http.Agent) {
  let answered!: (answer: Answer) => void;
  const answer = new Promise<Answer>((resolve) => (answered = resolve));
  const request = http.request(url, { method: "PUT", agent, headers: { "content-type": "image/jpeg" } }, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => (body += chunk));
    res.on("end", () => answered({ status: res.statusCode!, connection: res.headers.connection, body }));
  });
  request.on("error", (error) => answered({ status: 0, connection: undefined, body: String(error) }));
  request.write(Buffer.from([0xff, 0xd8]));
  return {
    answer,
    finish: () => request.end(Buffer.from([0xff, 0xd9])),
  };
}

describe("stopping with a request in flight", () => {
  it("answers the request, closes its connection and stops well before the deadline", async () => {
    const stack = await startStack();
    const agent = new http.Agent({ keepAlive: true });
    try {
      const received = new Promise((resolve) => stack.gateway.app.server.once("request", resolve));
      const upload = slowUpload(`${stack.httpUrl}/api/v1/devices/cam_abcdefabcdef/snapshot-uploads/not-a-token`, agent);
      await received;

      const stopStartedAt = Date.now();
      const stopping = stack.gateway.stop();
      await waitFor("HTTP closing", () => !stack.gateway.app.server.listening);
      upload.finish();

      const answer = await upload.answer;
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "snapshot-token-invalid" });
      expect(answer.connection).toBe("close");
      await stopping;
      // The deadline is 8 s; the idle connection would have held the close for 72 s.
      expect(Date.now() - stopStartedAt).toBeLessThan(4_000);
    } finally {
      agent.destroy();
      await stack.stop();
    }
  }, 30_000);
});
