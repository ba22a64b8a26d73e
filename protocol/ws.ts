// Messages on the gateway's WebSocket (/api/v1/live). The server pushes events; the client may only ping or filter.
import { z } from "zod";
import { cameraHealthState, isoTime } from "./device-messages.ts";
import { alertView, commandView } from "./http.ts";
import { viewerSummary } from "./live-view.ts";
import { snapshotView } from "./snapshots.ts";
import { callView, noticeView } from "./calls.ts";
import { wellbeingCheckView } from "./wellbeing.ts";

export const clientMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ping"), id: z.string().max(64).optional() }),
  /** Narrow the stream to some villages or devices; an empty filter means everything this user may see. */
  z.object({
    type: z.literal("filter"),
    villages: z.array(z.string().max(80)).max(100).optional(),
    deviceIds: z.array(z.string().max(64)).max(500).optional(),
  }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

export const serverMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hello"), userId: z.string(), role: z.string() }),
  z.object({ type: z.literal("pong"), id: z.string().optional() }),
  z.object({ type: z.literal("error"), error: z.string(), message: z.string() }),
  z.object({
    type: z.literal("device.connection"),
    deviceId: z.string(),
    village: z.string().nullable(),
    state: z.enum(["online", "offline"]),
    at: isoTime,
    reason: z.string().nullable(),
  }),
  z.object({
    type: z.literal("device.heartbeat"),
    deviceId: z.string(),
    at: isoTime,
    rssi: z.number().nullable(),
    temperatureC: z.number(),
    uptimeS: z.number(),
  }),
  /** Privacy switched at the camera or by a command; privacyByElder: only the elder may end it. */
  z.object({
    type: z.literal("device.privacy"),
    deviceId: z.string(),
    at: isoTime,
    privacy: z.boolean(),
    privacyByElder: z.boolean(),
  }),
  /** A bridged camera's health changed (the device itself may be online all the while). */
  z.object({
    type: z.literal("device.camera"),
    deviceId: z.string(),
    at: isoTime,
    health: cameraHealthState,
    detail: z.string().nullable(),
  }),
  z.object({ type: z.literal("alert.raised"), alert: alertView }),
  z.object({ type: z.literal("alert.repeated"), alert: alertView }),
  z.object({ type: z.literal("alert.resolved"), alert: alertView }),
  z.object({ type: z.literal("alert.acknowledged"), alert: alertView }),
  z.object({ type: z.literal("command.finished"), command: commandView }),
  /** Who is watching a camera, who holds the talk button, and whether the camera is streaming. */
  z.object({
    type: z.literal("view.viewers"),
    deviceId: z.string(),
    viewers: z.array(viewerSummary),
    talking: z.string().nullable(),
    streaming: z.boolean(),
  }),
  z.object({ type: z.literal("view.error"), deviceId: z.string(), error: z.string(), message: z.string() }),
  /** A viewer's downlink could not carry video: the relay sends it sound only until the path recovers. */
  /** The elder pressed the call button: every member's open app rings (family members only). */
  z.object({ type: z.literal("call.ringing"), call: callView }),
  /** A call was answered, missed, declined or cancelled. */
  z.object({ type: z.literal("call.updated"), call: callView }),
  /** A camera posted a new still (not sent while the camera is in privacy mode: it takes none). */
  z.object({ type: z.literal("device.snapshot"), snapshot: snapshotView }),
  /** A notice for the household (its camera offline for a while, or back): to members who chose that kind. */
  z.object({ type: z.literal("notice"), notice: noticeView }),
  /** A wellbeing check was raised, escalated or answered: to the people it tells, with its words. */
  z.object({
    type: z.literal("wellbeing.check"),
    check: wellbeingCheckView,
    notice: z.object({ title: z.string(), body: z.string() }),
  }),
  z.object({
    type: z.literal("view.downlink"),
    deviceId: z.string(),
    sessionId: z.string(),
    viewerId: z.string(),
    state: z.enum(["video", "audio-only"]),
    reason: z.string(),
  }),
]);
export type ServerMessage = z.infer<typeof serverMessage>;
