// A weak network between headless Chromium and the relay, made in user space (no root, no tc): the
// viewer page's WHEP exchange is intercepted, the offer loses its ICE candidates (so the relay can only
// learn Chromium's address from its connectivity checks) and the answer's relay candidate is replaced by
// a UDP forwarder we control. The forwarder can cut the path (a phone changing networks), or shape the
// relay → viewer direction like a weak 4G cell: a bottleneck rate with a drop-tail queue. The same link
// shapes a camera's uplink (client → relay) for the on-site check (test/helpers/whip-shaper.ts).
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { Page } from "playwright-core";

export interface LinkShape {
  /** Drop everything, both ways. */
  blackhole?: boolean;
  /** Bottleneck rate relay → viewer, kbit/s; undefined: unlimited. */
  downKbps?: number;
  /** Longest queue at the bottleneck before packets are dropped (ms of traffic). */
  queueMs?: number;
  /** Bottleneck rate client → relay (a home's thin uplink), kbit/s; undefined: unlimited. */
  upKbps?: number;
  /** Longest queue at the uplink's bottleneck (ms of traffic). */
  upQueueMs?: number;
}

export interface LinkCounters {
  upPackets: number;
  upDropped: number;
  downPackets: number;
  downDropped: number;
  downBytes: number;
}

/** Forwards one viewer session's UDP to the relay port, shaping the way back. */
export class UdpLink {
  shape: LinkShape;
  readonly counters: LinkCounters = { upPackets: 0, upDropped: 0, downPackets: 0, downDropped: 0, downBytes: 0 };
  private readonly front: Socket;
  /** One socket towards the relay per viewer address (Chromium may check from several local sockets). */
  private readonly upstream = new Map<string, Socket>();
  private busyUntil = 0;
  private upBusyUntil = 0;
  private closed = false;

  private constructor(
    private readonly target: { address: string; port: number },
    shape: LinkShape,
  ) {
    this.shape = { ...shape };
    this.front = createSocket("udp4");
    this.front.on("message", (message, from) => this.fromViewer(message, from));
  }

  static async open(target: { address: string; port: number }, shape: LinkShape = {}): Promise<UdpLink> {
    const link = new UdpLink(target, shape);
    await new Promise<void>((resolve) => link.front.bind(0, "127.0.0.1", resolve));
    return link;
  }

  get port(): number {
    return this.front.address().port;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.front.close();
    for (const socket of this.upstream.values()) socket.close();
  }

  private fromViewer(message: Buffer, from: RemoteInfo): void {
    if (this.closed || this.shape.blackhole) return;
    const key = `${from.address}:${from.port}`;
    let socket = this.upstream.get(key);
    if (!socket) {
      socket = createSocket("udp4");
      socket.bind(0, "127.0.0.1");
      socket.on("message", (reply) => this.toViewer(reply, from));
      this.upstream.set(key, socket);
    }
    const upstream = socket;
    const deliver = () => {
      if (this.closed) return;
      this.counters.upPackets++;
      upstream.send(message, this.target.port, this.target.address);
    };
    const kbps = this.shape.upKbps;
    if (!kbps) return deliver();
    const now = performance.now();
    const start = Math.max(now, this.upBusyUntil);
    if (start - now > (this.shape.upQueueMs ?? 200)) {
      this.counters.upDropped++;
      return;
    }
    this.upBusyUntil = start + (message.length * 8) / kbps;
    setTimeout(deliver, this.upBusyUntil - now);
  }

  private toViewer(message: Buffer, to: RemoteInfo): void {
    if (this.closed || this.shape.blackhole) return;
    const deliver = () => {
      if (this.closed) return;
      this.counters.downPackets++;
      this.counters.downBytes += message.length;
      this.front.send(message, to.port, to.address);
    };
    const kbps = this.shape.downKbps;
    if (!kbps) return deliver();
    // A serial bottleneck: each packet occupies the link for size/rate; a queue longer than queueMs drops.
    const now = performance.now();
    const start = Math.max(now, this.busyUntil);
    if (start - now > (this.shape.queueMs ?? 200)) {
      this.counters.downDropped++;
      return;
    }
    this.busyUntil = start + (message.length * 8) / kbps;
    setTimeout(deliver, this.busyUntil - now);
  }
}

export interface WeakNetwork {
  readonly links: UdpLink[];
  /** Shape for sessions opened from now on. */
  defaultShape: LinkShape;
  /** Shape every open link (and, with `andNew`, sessions opened later). */
  setShape(shape: LinkShape, andNew?: boolean): void;
  close(): void;
}

/** Puts every WHEP session of `page` behind a UdpLink. */
export async function routeViewerThroughWeakNetwork(page: Page): Promise<WeakNetwork> {
  const network: WeakNetwork = {
    links: [],
    defaultShape: {},
    setShape(shape, andNew = false) {
      for (const link of this.links) link.shape = { ...shape };
      if (andNew) this.defaultShape = { ...shape };
    },
    close() {
      for (const link of this.links) link.close();
    },
  };
  await page.route("**/whep/**", async (route) => {
    const request = route.request();
    if (request.method() !== "POST") return route.continue();
    const offer = (request.postData() ?? "")
      .split("\r\n")
      .filter((line) => !line.startsWith("a=candidate:"))
      .join("\r\n");
    const response = await route.fetch({ postData: offer });
    const answer = await response.text();
    if (response.status() !== 201) return route.fulfill({ response, body: answer });
    const lines = [];
    for (const line of answer.split("\r\n")) {
      // The link is UDP only: a TCP candidate would let the browser go around it.
      if (/^a=candidate:\S+ \d tcp /i.test(line)) continue;
      const candidate = /^a=candidate:(\S+) (\d) udp (\d+) (\S+) (\d+) typ host(.*)$/i.exec(line);
      if (!candidate) {
        lines.push(line);
        continue;
      }
      const [, foundation, component, priority, address, port, rest] = candidate;
      const link = await UdpLink.open({ address: address!, port: Number(port) }, network.defaultShape);
      network.links.push(link);
      lines.push(`a=candidate:${foundation} ${component} udp ${priority} 127.0.0.1 ${link.port} typ host${rest}`);
    }
    return route.fulfill({ response, body: lines.join("\r\n") });
  });
  return network;
}
