// Payloads on the device topics (JSON, UTF-8). Used by the broker, gateway and firmware-sim alike.
import { z } from "zod";

export const isoTime = z.iso.datetime({ offset: true });

/** devices/{id}/status, retained. The last will carries state "offline" with reason "lost". */
export const deviceStatusMessage = z.object({
  state: z.enum(["online", "offline"]),
  at: isoTime,
  reason: z.enum(["boot", "reconnect", "shutdown", "reboot", "lost"]).optional(),
  firmware: z.string().min(1).max(40).optional(),
  /** Random per connection, the same in the online message and the will: a late will of a replaced connection is ignored. */
  session: z.string().min(1).max(64).optional(),
});
export type DeviceStatusMessage = z.infer<typeof deviceStatusMessage>;

/** devices/{id}/telemetry: the heartbeat, every HEARTBEAT_INTERVAL seconds. */
export const heartbeatMessage = z.object({
  at: isoTime,
  uptimeS: z.number().int().min(0),
  rssi: z.number().int().min(-130).max(0),
  temperatureC: z.number().min(-40).max(125),
  firmware: z.string().min(1).max(40),
  freeStorageMb: z.number().int().min(0),
  privacy: z.boolean(),
});
export type HeartbeatMessage = z.infer<typeof heartbeatMessage>;

/** devices/{id}/events: things that happen on the camera. */
export const deviceEventMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("privacy-changed"), at: isoTime, enabled: z.boolean(), source: z.enum(["button", "command"]) }),
  z.object({ type: z.literal("firmware-updated"), at: isoTime, from: z.string().max(40), to: z.string().max(40) }),
  z.object({ type: z.literal("factory-reset"), at: isoTime }),
]);
export type DeviceEventMessage = z.infer<typeof deviceEventMessage>;

export const commandName = z.enum(["reboot", "privacy", "firmware-update"]);
export type CommandName = z.infer<typeof commandName>;

export const sha256Hex = z.string().regex(/^[a-f0-9]{64}$/, "expected 64 lowercase hex digits");

export const commandParams = {
  reboot: z.object({}).strict(),
  privacy: z.object({ enabled: z.boolean() }).strict(),
  "firmware-update": z.object({ url: z.url({ protocol: /^https?$/ }), sha256: sha256Hex, version: z.string().min(1).max(40) }).strict(),
} as const;

/**
 * devices/{id}/cmd. aedes speaks MQTT 3.1.1 only, so the MQTT 5 request/response properties travel
 * in the envelope: `responseTopic` and `correlationId` mean exactly what the MQTT 5 properties mean.
 */
export const commandRequestMessage = z.discriminatedUnion("name", [
  z.object({ name: z.literal("reboot"), params: commandParams.reboot }),
  z.object({ name: z.literal("privacy"), params: commandParams.privacy }),
  z.object({ name: z.literal("firmware-update"), params: commandParams["firmware-update"] }),
]).and(z.object({
  correlationId: z.string().min(1).max(64),
  responseTopic: z.string().min(1).max(200),
  /** The camera drops a command that arrives after this instant (queued while it was offline). */
  expiresAt: isoTime,
}));
export type CommandRequestMessage = z.infer<typeof commandRequestMessage>;

/** devices/{id}/cmd/response. */
export const commandResponseMessage = z.object({
  correlationId: z.string().min(1).max(64),
  ok: z.boolean(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.string().max(500).optional(),
});
export type CommandResponseMessage = z.infer<typeof commandResponseMessage>;

/** Parses a JSON payload against a schema; never throws. */
export function parseJsonPayload<T>(schema: z.ZodType<T>, payload: Buffer | string): { ok: true; value: T } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof payload === "string" ? payload : payload.toString("utf8"));
  } catch {
    return { ok: false, reason: "payload is not JSON" };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: z.prettifyError(parsed.error) };
  return { ok: true, value: parsed.data };
}
