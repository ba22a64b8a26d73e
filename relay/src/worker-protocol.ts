// Messages between the main thread's RelayPool and a relay worker process (Node IPC, JSON).
// Both sides validate what they receive: a worker is another process, and may be another version.
import { z } from "zod";

const cameraId = z.string().min(1).max(128);
const sessionId = z.uuid();
const sdp = z.string().min(10).max(100_000);

export const relayNetworkSchema = z.object({
  iceServers: z.array(z.object({
    urls: z.union([z.string(), z.array(z.string())]),
    username: z.string().optional(),
    credential: z.string().optional(),
  })).default([]),
  hostAddresses: z.array(z.string()).optional(),
  icePortRange: z.tuple([z.number().int().min(1), z.number().int().max(65535)]).optional(),
  iceTransportPolicy: z.enum(["all", "relay"]).optional(),
});

export const workerRequest = z.discriminatedUnion("method", [
  z.object({ id: z.number().int(), method: z.literal("connectCamera"), cameraId, offerSdp: sdp }),
  z.object({ id: z.number().int(), method: z.literal("connectViewer"), cameraId, viewerId: z.string().min(1).max(128), offerSdp: sdp }),
  z.object({ id: z.number().int(), method: z.literal("closeSession"), cameraId, sessionId, reason: z.string().max(100) }),
  z.object({ id: z.number().int(), method: z.literal("closeRouter"), cameraId }),
  z.object({ id: z.number().int(), method: z.literal("routerStats"), cameraId }),
]);
export type WorkerRequest = z.infer<typeof workerRequest>;
/** A request before the pool numbers it. */
export type WorkerCall = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

export const connectResult = z.object({ sessionId, answerSdp: sdp });

export const sessionRole = z.enum(["camera", "viewer"]);

export const workerEvent = z.discriminatedUnion("event", [
  z.object({ type: z.literal("event"), event: z.literal("ready") }),
  z.object({ type: z.literal("event"), event: z.literal("sessionConnected"), cameraId, sessionId, role: sessionRole, viewerId: z.string().optional() }),
  z.object({ type: z.literal("event"), event: z.literal("sessionClosed"), cameraId, sessionId, role: sessionRole, reason: z.string(), viewerId: z.string().optional() }),
  z.object({ type: z.literal("event"), event: z.literal("talkbackChanged"), cameraId, viewerId: z.string().nullable() }),
  z.object({ type: z.literal("event"), event: z.literal("viewerDownlink"), cameraId, sessionId, viewerId: z.string(), state: z.enum(["video", "audio-only"]), reason: z.string() }),
]);
export type WorkerEvent = z.infer<typeof workerEvent>;

export const workerReply = z.object({
  type: z.literal("reply"),
  id: z.number().int(),
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z.object({ name: z.string(), message: z.string() }).optional(),
});
export type WorkerReply = z.infer<typeof workerReply>;

export const workerMessage = z.union([workerReply, workerEvent]);
