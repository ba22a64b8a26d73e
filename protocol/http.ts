// HTTP request and reply bodies of the gateway (/api/v1). The OpenAPI document is generated from these.
import { z } from "zod";
import { cameraHealthState, commandName, isoTime } from "./device-messages.ts";
import { catalogueErrorReply } from "./errors.ts";

export const role = z.enum(["family", "installer", "staff"]);
export type Role = z.infer<typeof role>;

/** The one JSON error shape; its code is one of the catalogue's (protocol/errors.ts), so OpenAPI lists them all. */
export const errorReply = catalogueErrorReply;
export type ErrorReply = z.infer<typeof errorReply>;
/**
 * An error reply as a client reads it: any code. A camera's firmware outlives the catalogue it was built with,
 * so it must still read the codes of a newer gateway (and of the test gateways that send codes of their own).
 */
export const receivedErrorReply = z.object({ error: z.string(), message: z.string(), details: z.unknown().optional() });

// ── auth ──────────────────────────────────────────────────────────────
export const loginBody = z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(200) });
export const userView = z.object({ id: z.string(), username: z.string(), displayName: z.string(), role });
export const loginReply = z.object({ token: z.string(), expiresAt: isoTime, user: userView });

// ── households ────────────────────────────────────────────────────────
const chinaMobile = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 -]{5,19}$/, "a phone number, digits only");
export const householdBody = z.object({
  village: z.string().trim().min(1).max(80),
  elderName: z.string().trim().min(1).max(40),
  contactName: z.string().trim().max(40).optional(),
  contactPhone: chinaMobile,
  address: z.string().trim().max(200).optional(),
  /** Chosen by the client so that a retried request on a flaky network creates the household once. */
  requestId: z.uuid().optional(),
});
export const householdView = z.object({
  id: z.string(),
  village: z.string(),
  elderName: z.string(),
  contactName: z.string().nullable(),
  contactPhone: z.string(),
  address: z.string().nullable(),
  createdAt: isoTime,
  deviceCount: z.number().int(),
});

/** A family member of a household, as its detail page lists them. */
export const householdMemberView = z.object({
  userId: z.string(),
  username: z.string(),
  displayName: z.string(),
  relation: z.string().nullable(),
  phone: z.string().nullable().optional().describe("the member's verified mobile number, masked: 138****1234"),
});
export const householdDetailView = householdView.extend({ members: z.array(householdMemberView) });
export const householdListQuery = z.object({
  village: z.string().max(80).optional(),
  q: z.string().max(80).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(100).optional(),
});
export const householdIdParams = z.object({ householdId: z.string().min(1).max(64) });
export const addMemberBody = z.object({
  username: z.string().trim().min(1).max(64),
  relation: z.string().trim().max(20).optional(),
});

// ── devices and provisioning ──────────────────────────────────────────
export const serial = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^WX-[0-9A-Z]{4}-[0-9A-Z]{6}$/, "serial looks like WX-2026-A1B2C3");
export const claimCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[0-9A-Z]{4}-?[0-9A-Z]{4}$/, "claim code is 8 letters or digits, e.g. K7P2-9QXM")
  .transform((code) => code.replace("-", ""));

/** Text of the QR code on the camera's box: WX1;S:<serial>;C:<claim code> */
export function boxQrText(serialText: string, claimCodeText: string): string {
  return `WX1;S:${serialText};C:${claimCodeText}`;
}
export function parseBoxQr(text: string): { serial: string; claimCode: string } | null {
  const match = /^WX1;S:([^;]+);C:([^;]+)$/.exec(text.trim());
  return match ? { serial: match[1]!, claimCode: match[2]! } : null;
}

export const registerDeviceBody = z.object({
  serial,
  claimCode: claimCode.optional(),
  model: z.string().max(40).optional(),
});
export const registerDeviceReply = z.object({
  deviceId: z.string(),
  serial: z.string(),
  claimCode: z.string(),
  qr: z.string(),
});

/** Installer binds a camera to a household: typed serial + code, or the scanned QR text. */
export const bindDeviceBody = z.union([
  z.object({ serial, claimCode, label: z.string().trim().max(40).optional() }),
  z.object({ qr: z.string().max(200), label: z.string().trim().max(40).optional() }),
]);
export const replaceDeviceBody = bindDeviceBody;
export const moveDeviceBody = z.object({ householdId: z.string().min(1).max(64) });
/** A camera's name in its home (堂屋, 厨房): what every screen calls it. */
export const renameDeviceBody = z.object({ label: z.string().trim().min(1).max(40) }).strict();
export const deviceIdParams = z.object({ deviceId: z.string().min(1).max(64) });
export const householdDeviceParams = z.object({
  householdId: z.string().min(1).max(64),
  deviceId: z.string().min(1).max(64),
});

/** The camera's own first-boot request. */
export const claimBody = z.object({ serial, claimCode });
export const claimReply = z.object({
  deviceId: z.string(),
  mqttUsername: z.string(),
  mqttPassword: z.string(),
  mqttUrl: z.string().describe("where to connect, as the gateway sees the broker"),
  heartbeatIntervalS: z.number().int(),
  keepaliveS: z.number().int(),
});

export const connection = z.enum(["unknown", "online", "offline"]);
export const uptimeView = z.object({
  h24: z.number().nullable().describe("fraction online over the last 24 h (null: not provisioned yet)"),
  d7: z.number().nullable(),
  d30: z.number().nullable(),
  unknownS: z
    .object({ h24: z.number(), d7: z.number(), d30: z.number() })
    .describe(
      "seconds of each window when no gateway was running: neither online nor offline, left out of the fractions",
    ),
});
export const deviceView = z.object({
  id: z.string(),
  serial: z.string(),
  claimState: z.enum(["registered", "claimed", "revoked"]),
  householdId: z.string().nullable(),
  village: z.string().nullable(),
  elderName: z.string().nullable(),
  label: z.string().nullable(),
  model: z.string(),
  firmware: z.string().nullable(),
  connection,
  privacy: z.boolean(),
  /** Privacy the elder chose (protocol/privacy.ts): the family may only ask them to end it. */
  privacyByElder: z.boolean(),
  lastSeenAt: isoTime.nullable(),
  lastHeartbeatAt: isoTime.nullable(),
  rssi: z.number().nullable(),
  temperatureC: z.number().nullable(),
  uptimeS: z.number().nullable(),
  freeStorageMb: z.number().nullable(),
  offlineSince: isoTime.nullable(),
  /**
   * A bridged camera (camera-bridge/): the camera behind the bridge as the bridge last found it, and since when.
   * The device can be online (the bridge is) while its camera is not: staff see which fault it is.
   */
  camera: z.object({ health: cameraHealthState, detail: z.string().nullable(), since: isoTime }).nullable(),
  /** Whether talk-back reaches a speaker (false: a bridged camera without an ONVIF audio backchannel). */
  talkback: z.boolean(),
  /** Whether the camera has the elder's call button (false: a bridged IP camera; calls home need auto-answer). */
  callButton: z.boolean(),
});
export const deviceDetailView = deviceView.extend({ uptime: uptimeView, openAlerts: z.number().int() });
export const deviceListQuery = z.object({
  village: z.string().max(80).optional(),
  householdId: z.string().max(64).optional(),
  connection: connection.optional(),
  claimState: z.enum(["registered", "claimed", "revoked"]).optional(),
  q: z
    .string()
    .max(80)
    .optional()
    .describe("serial, place, elder's name, village or contact number contains; or a household id"),
  sort: z.enum(["serial", "offline-longest", "last-seen"]).default("serial"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(100).optional().describe("nextCursor from the previous page"),
});
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable(), total: z.number().int() });

const fleetCounts = {
  total: z.number().int(),
  online: z.number().int(),
  offline: z.number().int(),
  /** Bound to a home (claimed or not) and never connected: the installations that failed. */
  neverOnline: z.number().int(),
  /** The same as neverOnline (its older name). */
  unknown: z.number().int(),
};
export const fleetSummaryReply = z.object({
  ...fleetCounts,
  openAlerts: z.number().int(),
  villages: z.array(z.object({ village: z.string().nullable().describe("null: cameras in no home"), ...fleetCounts })),
});

export const heartbeatHistoryQuery = z.object({
  since: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(2000).default(200),
});
export const heartbeatView = z.object({
  at: isoTime,
  uptimeS: z.number(),
  /** null: a wired camera (no Wi-Fi signal to report). */
  rssi: z.number().nullable(),
  temperatureC: z.number(),
  firmware: z.string(),
  freeStorageMb: z.number(),
});
export const statusChangeView = z.object({
  state: z.enum(["online", "offline"]),
  reason: z.string().nullable(),
  at: isoTime,
});

// ── alerts ────────────────────────────────────────────────────────────
/** offline: the device (camera or bridge) is gone; camera-*: the bridge is online but its camera is not right. */
/**
 * offline: it was online and stopped; never-online: bound to a home and never connected (the installation failed);
 * camera-*: a bridge is online but its IP camera is not (camera-bridge/): unreachable, wrong password, no stream.
 */
export const alertKind = z.enum([
  "offline",
  "never-online",
  "camera-unreachable",
  "camera-auth-failed",
  "camera-no-stream",
]);
export type AlertKind = z.infer<typeof alertKind>;
export const alertView = z.object({
  id: z.string(),
  deviceId: z.string(),
  serial: z.string(),
  village: z.string().nullable(),
  /** The home's elder and who to call about it (the household's contact), when the camera is in a home. */
  elderName: z.string().nullable(),
  contactName: z.string().nullable(),
  contactPhone: z.string().nullable(),
  kind: alertKind,
  raisedAt: isoTime,
  lastNotifiedAt: isoTime,
  notifyCount: z.number().int(),
  resolvedAt: isoTime.nullable(),
  acknowledgedAt: isoTime.nullable(),
  /** The login of who acknowledged it, and their display name (what screens show). */
  acknowledgedBy: z.string().nullable(),
  acknowledgedByName: z.string().nullable(),
});
export const alertListQuery = z.object({
  state: z.enum(["open", "resolved", "all"]).default("open"),
  village: z.string().max(80).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(100).optional(),
});
export const alertIdParams = z.object({ alertId: z.string().min(1).max(64) });

// ── commands ──────────────────────────────────────────────────────────
export const commandBody = z.discriminatedUnion("name", [
  z.object({ name: z.literal("reboot"), params: z.object({}).strict().default({}) }),
  z.object({ name: z.literal("privacy"), params: z.object({ enabled: z.boolean() }).strict() }),
  z.object({
    name: z.literal("firmware-update"),
    params: z
      .object({
        url: z.url({ protocol: /^https?$/ }),
        sha256: z.string().regex(/^[a-f0-9]{64}$/),
        version: z.string().min(1).max(40),
      })
      .strict(),
  }),
]);
export type CommandBody = z.infer<typeof commandBody>;
export const commandView = z.object({
  id: z.string(),
  deviceId: z.string(),
  name: commandName,
  params: z.record(z.string(), z.unknown()),
  status: z.enum(["pending", "succeeded", "failed", "timed-out"]),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  /** The login (or the part of the system) that sent it, and the person's display name when it was a person. */
  requestedBy: z.string(),
  requestedByName: z.string().nullable().optional(),
  createdAt: isoTime,
  finishedAt: isoTime.nullable(),
});

export const healthReply = z.object({
  status: z.enum(["ok", "degraded"]),
  database: z.enum(["ok", "down"]),
  broker: z.enum(["ok", "down"]),
  uptimeS: z.number(),
});
