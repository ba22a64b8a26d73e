// Payloads on the device topics (JSON, UTF-8). Used by the broker, gateway and firmware-sim alike.
import { z } from "zod";
import { textFaultMessages, unstorableText } from "./text.ts";

/** One STUN/TURN server as RTCPeerConnection takes it: the one schema for config, grants and commands. */
export const iceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});

export const isoTime = z.iso.datetime({ offset: true });

/**
 * What a device can do, in its "online" status. Absent (our own cameras, older firmware): everything.
 * A bridged RTSP camera has a speaker for talk-back only when it offers the ONVIF audio backchannel, and never
 * the elder's call button (callButton false: nobody at home can call out, or answer a call by a press).
 */
export const deviceCapabilities = z.object({ talkback: z.boolean(), callButton: z.boolean().optional() });
export type DeviceCapabilities = z.infer<typeof deviceCapabilities>;

/**
 * The camera behind a bridge, as the bridge last found it: "ok", "unreachable" (no answer: unplugged, no power,
 * wrong address), "auth-failed" (it answers but refuses the account: wrong password) or "no-stream" (it answers
 * and accepts the account but has no such stream). The device itself is online all the while: this is the
 * fault "bridge fine, camera not", told apart from the bridge being offline.
 */
export const cameraHealthState = z.enum(["ok", "unreachable", "auth-failed", "no-stream"]);
export type CameraHealthState = z.infer<typeof cameraHealthState>;
export const cameraHealth = z.object({ state: cameraHealthState, detail: z.string().max(200).optional() });
export type CameraHealth = z.infer<typeof cameraHealth>;

/** devices/{id}/status, retained. The last will carries state "offline" with reason "lost". */
export const deviceStatusMessage = z.object({
  state: z.enum(["online", "offline"]),
  at: isoTime,
  reason: z.enum(["boot", "reconnect", "shutdown", "reboot", "lost"]).optional(),
  firmware: z.string().min(1).max(40).optional(),
  /** Random per connection, the same in the online message and the will: a late will of a replaced connection is ignored. */
  session: z.string().min(1).max(64).optional(),
  capabilities: deviceCapabilities.optional(),
});
export type DeviceStatusMessage = z.infer<typeof deviceStatusMessage>;

/** Counters are stored in 32-bit integer columns: a larger value would fail the whole heartbeat batch on PostgreSQL. */
const int32 = 2_147_483_647;

/** devices/{id}/telemetry: the heartbeat, every HEARTBEAT_INTERVAL seconds. */
export const heartbeatMessage = z.object({
  at: isoTime,
  uptimeS: z.number().int().min(0).max(int32),
  /** Wi-Fi signal in dBm; null for a wired camera (a bridged IP camera on Ethernet has no radio). */
  rssi: z.number().int().min(-130).max(0).nullable(),
  temperatureC: z.number().min(-40).max(125),
  firmware: z.string().min(1).max(40),
  freeStorageMb: z.number().int().min(0).max(int32),
  privacy: z.boolean(),
});
export type HeartbeatMessage = z.infer<typeof heartbeatMessage>;

/** devices/{id}/events: things that happen on the camera. */
export const deviceEventMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("privacy-changed"),
    at: isoTime,
    enabled: z.boolean(),
    source: z.enum(["button", "command"]),
  }),
  z.object({ type: z.literal("firmware-updated"), at: isoTime, from: z.string().max(40), to: z.string().max(40) }),
  z.object({ type: z.literal("factory-reset"), at: isoTime }),
  /** The camera's "someone is watching" light and chime: on when a view starts, off when the last viewer leaves. */
  z.object({ type: z.literal("viewing-indicator"), at: isoTime, on: z.boolean(), viewers: z.number().int().min(0) }),
  z.object({ type: z.literal("stream-failed"), at: isoTime, reason: z.string().max(300) }),
  /** The elder pressed the call button: answers a call home that is ringing, or else calls the family. */
  z.object({ type: z.literal("call-button"), at: isoTime }),
  /** The elder declined a call home (the privacy button while it rings): privacy mode for the household's chosen time. */
  z.object({ type: z.literal("call-declined"), at: isoTime }),
  /** A bridge's camera changed health (and, after every reconnect, as it stands): see cameraHealth. */
  z.object({ type: z.literal("camera-health"), at: isoTime, ...cameraHealth.shape }),
]);
export type DeviceEventMessage = z.infer<typeof deviceEventMessage>;

/** Commands staff and families send (over HTTP), and the gateway's own live-view commands. */
export const commandName = z.enum([
  "reboot",
  "privacy",
  "firmware-update",
  "stream-start",
  "stream-stop",
  "view-notice",
  "call-status",
  "clock-probe",
  "site-check",
  "take-snapshot",
  "elder-notice",
  "activity-settings",
]);
export type CommandName = z.infer<typeof commandName>;

export const sha256Hex = z.string().regex(/^[a-f0-9]{64}$/, "expected 64 lowercase hex digits");

export const commandParams = {
  reboot: z.object({}).strict(),
  privacy: z.object({ enabled: z.boolean() }).strict(),
  "firmware-update": z
    .object({ url: z.url({ protocol: /^https?$/ }), sha256: sha256Hex, version: z.string().min(1).max(40) })
    .strict(),
  /** Publish to the relay: WHIP endpoint, a one-time publish token, and the ICE servers to use. */
  "stream-start": z
    .object({
      whipUrl: z.url({ protocol: /^https?$/ }),
      token: z.string().min(16).max(200),
      iceServers: z.array(iceServer).max(10),
    })
    .strict(),
  "stream-stop": z.object({ reason: z.string().max(100) }).strict(),
  /** The on-site check's round trip: the camera answers at once with its clock and Wi-Fi signal (siteCheckProbeResult). */
  "clock-probe": z.object({}).strict(),
  /**
   * The on-site check's stream: publish the live-view stream (same size as family viewing) to the relay for
   * `durationS` seconds, then stop by itself. Answered once the stream is up.
   */
  "site-check": z
    .object({
      whipUrl: z.url({ protocol: /^https?$/ }),
      token: z.string().min(16).max(200),
      iceServers: z
        .array(
          z.object({
            urls: z.union([z.string(), z.array(z.string())]),
            username: z.string().optional(),
            credential: z.string().optional(),
          }),
        )
        .max(10),
      durationS: z.number().int().min(1).max(60),
    })
    .strict(),
  /** Who is watching now (names the elder may hear announced); an empty list turns the light off. */
  "view-notice": z.object({ viewers: z.array(z.string().max(80)).max(50) }).strict(),
  /**
   * Where a call stands, for the camera's ring, ring-back and screen: "calling-family" (ring-back after the
   * button), "ringing" (the family calls home: ring until the button is pressed), "answered" (by names who),
   * "missed", "ended". The last three concern the call they name: a camera showing another call keeps it.
   */
  "call-status": z
    .object({
      callId: z.string().min(1).max(64),
      state: z.enum(["calling-family", "ringing", "answered", "missed", "ended"]),
      by: z.string().max(80).optional(),
    })
    .strict(),
  /**
   * Take a still and PUT it (image/jpeg, at most maxBytes) to uploadUrl, a one-time URL for this camera only.
   * The URL carries a secret: the camera must not log it. A camera in privacy mode refuses.
   */
  "take-snapshot": z
    .object({
      uploadUrl: z.url({ protocol: /^https?$/ }).max(500),
      maxBytes: z
        .number()
        .int()
        .min(1024)
        .max(16 * 1024 * 1024),
    })
    .strict(),
  /**
   * Something the elder must hear and see, said by the camera in plain words: a family member asks them to end
   * privacy mode ("privacy-request": the privacy button ends it), or set auto-answer ("auto-answer": calls from
   * the family connect by themselves after afterS seconds; null: no longer).
   */
  "elder-notice": z
    .object({
      kind: z.enum(["privacy-request", "auto-answer"]),
      by: z.string().max(80),
      afterS: z.number().int().min(1).max(600).nullable().optional(),
    })
    .strict(),
  /**
   * Whether the household consented to movement levels while the camera is in privacy mode (wellbeing
   * check-ins): without it the camera measures nothing while private. Sent when the consent changes and when
   * the camera comes online; a camera boots without it.
   */
  "activity-settings": z.object({ inPrivacy: z.boolean() }).strict(),
} as const;

export type DeviceCommand = {
  [K in CommandName]: { name: K; params: z.infer<(typeof commandParams)[K]> };
}[CommandName];

/**
 * devices/{id}/cmd. aedes speaks MQTT 3.1.1 only, so the MQTT 5 request/response properties travel
 * in the envelope: `responseTopic` and `correlationId` mean exactly what the MQTT 5 properties mean.
 */
export const commandRequestMessage = z
  .discriminatedUnion("name", [
    z.object({ name: z.literal("reboot"), params: commandParams.reboot }),
    z.object({ name: z.literal("privacy"), params: commandParams.privacy }),
    z.object({ name: z.literal("firmware-update"), params: commandParams["firmware-update"] }),
    z.object({ name: z.literal("stream-start"), params: commandParams["stream-start"] }),
    z.object({ name: z.literal("stream-stop"), params: commandParams["stream-stop"] }),
    z.object({ name: z.literal("view-notice"), params: commandParams["view-notice"] }),
    z.object({ name: z.literal("call-status"), params: commandParams["call-status"] }),
    z.object({ name: z.literal("clock-probe"), params: commandParams["clock-probe"] }),
    z.object({ name: z.literal("site-check"), params: commandParams["site-check"] }),
    z.object({ name: z.literal("take-snapshot"), params: commandParams["take-snapshot"] }),
    z.object({ name: z.literal("elder-notice"), params: commandParams["elder-notice"] }),
    z.object({ name: z.literal("activity-settings"), params: commandParams["activity-settings"] }),
  ])
  .and(
    z.object({
      correlationId: z.string().min(1).max(64),
      responseTopic: z.string().min(1).max(200),
      /** The camera drops a command that arrives after this instant (queued while it was offline). */
      expiresAt: isoTime,
    }),
  );
export type CommandRequestMessage = z.infer<typeof commandRequestMessage>;

/** devices/{id}/cmd/response. */
export const commandResponseMessage = z.object({
  correlationId: z.string().min(1).max(64),
  ok: z.boolean(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.string().max(500).optional(),
});
export type CommandResponseMessage = z.infer<typeof commandResponseMessage>;

/** What a camera answers to clock-probe: its own clock (for the skew) and its Wi-Fi signal now. */
export const clockProbeResult = z.object({ at: isoTime, rssi: z.number().int().min(-130).max(0).nullable() });
export type ClockProbeResult = z.infer<typeof clockProbeResult>;

/** Parses a JSON payload against a schema; never throws. */
export function parseJsonPayload<T>(
  schema: z.ZodType<T>,
  payload: Buffer | string,
): { ok: true; value: T } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof payload === "string" ? payload : payload.toString("utf8"));
  } catch {
    return { ok: false, reason: "payload is not JSON" };
  }
  const textFault = unstorableText(raw);
  if (textFault) return { ok: false, reason: `payload ${textFaultMessages[textFault]}` };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: z.prettifyError(parsed.error) };
  return { ok: true, value: parsed.data };
}
