// A home's uplink between a simulated camera and the relay, shaped in user space like the viewer links of
// the weak-network tests (test/relay-netem.ts): the gateway is started with PUBLIC_HTTP_URL pointing here, so
// the camera's WHIP exchange passes through this proxy, which swaps the relay's UDP candidates in the answer
// for a UdpLink shaped per camera (drops the TCP ones so the camera cannot go around it).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { UdpLink, type LinkShape } from "../relay-netem.ts";

export interface WhipShaper {
  /** The URL to give the gateway as PUBLIC_HTTP_URL. */
  readonly url: string;
  /** Where requests go: the gateway's real HTTP address (known once it has started). */
  target: string;
  /** Uplink shape by camera id; cameras not listed get an unshaped link. */
  readonly shapes: Map<string, LinkShape>;
  /** Links opened so far, by camera id. */
  readonly links: Map<string, UdpLink[]>;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function shapedAnswer(answer: string, shape: LinkShape, opened: UdpLink[]): Promise<string> {
  const lines: string[] = [];
  for (const line of answer.split("\r\n")) {
    if (/^a=candidate:\S+ \d tcp /i.test(line)) continue;
    const candidate = /^a=candidate:(\S+) (\d) udp (\d+) (\S+) (\d+) typ host(.*)$/i.exec(line);
    if (!candidate) {
      lines.push(line);
      continue;
    }
    const [, foundation, component, priority, address, port, rest] = candidate;
    const link = await UdpLink.open({ address: address!, port: Number(port) }, shape);
    opened.push(link);
    lines.push(`a=candidate:${foundation} ${component} udp ${priority} 127.0.0.1 ${link.port} typ host${rest}`);
  }
  return lines.join("\r\n");
}

export async function startWhipShaper(): Promise<WhipShaper> {
  const shaper = {
    url: "",
    target: "",
    shapes: new Map<string, LinkShape>(),
    links: new Map<string, UdpLink[]>(),
  };
  const forward = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "content-type"])
      if (typeof request.headers[name] === "string") headers[name] = request.headers[name];
    const reply = await fetch(shaper.target + request.url, {
      method: request.method,
      headers,
      body: body.length ? body.toString("utf8") : undefined,
    });
    let text = await reply.text();
    const cameraId = /\/whip\/([^/?]+)/.exec(request.url ?? "")?.[1];
    if (request.method === "POST" && reply.status === 201 && cameraId) {
      const opened = shaper.links.get(cameraId) ?? [];
      shaper.links.set(cameraId, opened);
      text = await shapedAnswer(text, shaper.shapes.get(cameraId) ?? {}, opened);
    }
    const outHeaders: Record<string, string> = { "content-type": reply.headers.get("content-type") ?? "text/plain" };
    const location = reply.headers.get("location");
    if (location) outHeaders.location = location;
    response.writeHead(reply.status, outHeaders).end(text);
  };
  const server = createServer((request, response) => {
    forward(request, response).catch((error: Error) => response.writeHead(502).end(error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  shaper.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...shaper,
    get url() {
      return shaper.url;
    },
    get target() {
      return shaper.target;
    },
    set target(value: string) {
      shaper.target = value;
    },
    async close() {
      for (const links of shaper.links.values()) for (const link of links) link.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
