// Test helpers: a Fastify server with the relay's signaling plugin (permissive authorisation) on port 0,
// and a werift viewer that does WHEP like the browser page does.
import { readFile } from "node:fs/promises";
import Fastify, { type FastifyInstance } from "fastify";
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from "werift";
import { cameraPeerConfig } from "../firmware-sim/src/media/camera-stream.ts";
import { gatheredLocalSdp } from "../core/webrtc.ts";
import { whipDelete, whipPost } from "../device-client/src/whip-client.ts";
import type { ListenerErrorLog } from "../core/events.ts";
import { createRelayPool, type RelayPool, type RelayNetworkOptions } from "../relay/src/relay-pool.ts";
import { signalingPlugin, type SignalingPluginOptions } from "../relay/src/signaling-plugin.ts";

export const PUBLISH_TOKEN = "test-camera-token";

export interface RelayStack {
  app: FastifyInstance;
  pool: RelayPool;
  baseUrl: string;
  whipUrl(cameraId: string): string;
  whepUrl(cameraId: string): string;
  events: string[];
  stop(): Promise<void>;
}

export async function startRelayStack(
  options: {
    workers?: number;
    network?: RelayNetworkOptions;
    iceServers?: SignalingPluginOptions["iceServers"];
    setup?: (app: FastifyInstance) => Promise<void> | void;
    /** Called after the built-in bookkeeping, e.g. to start a camera the way the gateway would over MQTT. */
    onViewerJoined?: SignalingPluginOptions["onViewerJoined"];
    /** Where a failing listener of `pool.events` is reported (default: the console). */
    log?: ListenerErrorLog;
  } = {},
): Promise<RelayStack> {
  const pool = await createRelayPool({
    // A listener that fails is a test bug unless the test asks to see it: show it where the test runs.
    log: options.log ?? { error: (details, message) => console.error(`relay-stack: ${message}`, details) },
    workers: options.workers ?? 1,
    network: options.network ?? { hostAddresses: ["127.0.0.1"] },
  });
  const app = Fastify({ logger: false });
  const events: string[] = [];
  const plugin: SignalingPluginOptions = {
    pool,
    iceServers: options.iceServers ?? [],
    authorizePublish: async (_cameraId, token) => token === PUBLISH_TOKEN,
    authorizeView: async (_cameraId, token) =>
      token.startsWith("viewer-") ? { viewerId: token, displayName: `家人 ${token}` } : null,
    onViewerJoined: async (event) => {
      events.push(`joined:${event.viewer.viewerId}`);
      await options.onViewerJoined?.(event);
    },
    onViewerLeft: ({ viewer, reason }) => void events.push(`left:${viewer.viewerId}:${reason}`),
    onTalkbackChanged: ({ viewerId }) => void events.push(`talk:${viewerId}`),
  };
  await app.register(signalingPlugin, { ...plugin, prefix: "/api/v1" });
  await options.setup?.(app);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    app,
    pool,
    baseUrl,
    events,
    whipUrl: (cameraId) => `${baseUrl}/api/v1/whip/${cameraId}`,
    whepUrl: (cameraId) => `${baseUrl}/api/v1/whep/${cameraId}`,
    async stop() {
      await app.close();
      await pool.close();
    },
  };
}

/** Serves web/viewer/ at /viewer/ the way the gateway will (no build step). */
export function serveViewer(app: FastifyInstance): void {
  const dir = new URL("../web/viewer/", import.meta.url);
  const types: Record<string, string> = {
    "index.html": "text/html; charset=utf-8",
    "viewer.js": "text/javascript; charset=utf-8",
  };
  app.get<{ Params: { file: string } }>("/viewer/:file", async (request, reply) => {
    const type = types[request.params.file];
    if (!type) return reply.code(404).send();
    return reply.type(type).send(await readFile(new URL(request.params.file, dir)));
  });
}

export interface NodeViewer {
  received: { videoPackets: number; videoBytes: number; audioPackets: number; keyframeStarts: number };
  firstVideoAt: Promise<number>;
  /** Sends `count` Opus packets (20 ms each) as the viewer's microphone. */
  talk(packets: Buffer[], count: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startNodeViewer(whepUrl: string, token: string): Promise<NodeViewer> {
  const pc = new RTCPeerConnection(cameraPeerConfig({ hostAddresses: ["127.0.0.1"] }));
  const microphone = new MediaStreamTrack({ kind: "audio" });
  const video = pc.addTransceiver("video", { direction: "recvonly" });
  const audio = pc.addTransceiver(microphone, { direction: "sendrecv" });
  const received = { videoPackets: 0, videoBytes: 0, audioPackets: 0, keyframeStarts: 0 };
  let resolveFirst!: (at: number) => void;
  const firstVideoAt = new Promise<number>((resolve) => (resolveFirst = resolve));
  video.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      received.videoPackets++;
      received.videoBytes += rtp.payload.length;
      if (received.videoPackets === 1) resolveFirst(performance.now());
    }),
  );
  audio.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => void received.audioPackets++));
  await pc.setLocalDescription(await pc.createOffer());
  const session = await whipPost(whepUrl, token, await gatheredLocalSdp(pc));
  await pc.setRemoteDescription({ type: "answer", sdp: session.answerSdp });
  let seq = 1000;
  let timestamp = 5000;
  return {
    received,
    firstVideoAt,
    async talk(packets, count) {
      for (let i = 0; i < count; i++) {
        microphone.writeRtp(
          new RtpPacket(
            new RtpHeader({ payloadType: 111, sequenceNumber: seq++ & 0xffff, timestamp }),
            packets[i % packets.length]!,
          ),
        );
        timestamp += 960;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      await whipDelete(session.resourceUrl, token).catch(() => {});
      await pc.close();
    },
  };
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
