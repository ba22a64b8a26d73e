// The bridge's configuration: the environment names the gateway, the state directory and the cameras file;
// the cameras file (JSON) lists each camera by ONVIF address or RTSP URL, its account and its claim code.
// One zod schema checks both, and a bad value stops the bridge with a message naming it.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { claimCode, serial } from "../../protocol/http.ts";

const account = { username: z.string().max(100).default(""), password: z.string().max(200).default("") };

export const bridgeCameraConfig = z
  .object({
    /** The serial and claim code on the QR label the installer scans, as for any Wangxiang camera. */
    serial,
    claimCode,
    /** ONVIF device service, e.g. http://192.168.1.64/onvif/device_service: stream and snapshot URIs come from it. */
    onvif: z.url({ protocol: /^https?$/ }).optional(),
    /** A plain RTSP URL, for cameras without ONVIF (or to override the ONVIF one). */
    rtsp: z.url({ protocol: /^rtsps?$/ }).optional(),
    /** A plain snapshot URL (HTTP, digest or Basic), for cameras without ONVIF. */
    snapshot: z.url({ protocol: /^https?$/ }).optional(),
    ...account,
  })
  .refine((c) => c.onvif || c.rtsp, "each camera needs an onvif address or an rtsp URL");
export type BridgeCameraConfig = z.infer<typeof bridgeCameraConfig>;

const intFromEnv = (min: number, max: number, fallback: number) =>
  z.preprocess((v) => (v === "" || v === undefined ? fallback : Number(v)), z.number().int().min(min).max(max));

export const bridgeConfig = z.object({
  gatewayUrl: z.url({ protocol: /^https?$/ }),
  stateDir: z.string().min(1),
  /** How often a healthy camera is checked (RTSP DESCRIBE), seconds. A failing one is retried sooner, with backoff. */
  probeIntervalS: intFromEnv(1, 3600, 30),
  heartbeatIntervalS: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.coerce.number().int().min(1).max(3600).optional(),
  ),
  mqttUrl: z.preprocess((v) => (v === "" ? undefined : v), z.url().optional()),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /** ICE host addresses the bridge offers (tests: 127.0.0.1); empty: every interface. */
  hostAddresses: z.array(z.string()).default([]),
  cameras: z.array(bridgeCameraConfig).min(1).max(32),
});
export type BridgeConfig = z.infer<typeof bridgeConfig>;

export class BridgeConfigError extends Error {}

/** Reads WX_BRIDGE_* and the cameras file they name; throws BridgeConfigError naming what is wrong. */
export function loadBridgeConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const file = env.WX_BRIDGE_CAMERAS || "/etc/wangxiang/cameras.json";
  let listed: unknown;
  try {
    listed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new BridgeConfigError(`WX_BRIDGE_CAMERAS: cannot read ${file} as JSON (${(error as Error).message})`);
  }
  const parsed = bridgeConfig.safeParse({
    gatewayUrl: env.WX_BRIDGE_GATEWAY_URL || "http://127.0.0.1:8080",
    stateDir: env.WX_BRIDGE_STATE_DIR || "/var/lib/wangxiang-bridge",
    probeIntervalS: env.WX_BRIDGE_PROBE_INTERVAL_S,
    heartbeatIntervalS: env.WX_BRIDGE_HEARTBEAT_S,
    mqttUrl: env.WX_BRIDGE_MQTT_URL,
    logLevel: env.WX_BRIDGE_LOG_LEVEL || undefined,
    hostAddresses: env.WX_BRIDGE_HOST_ADDRESSES ? env.WX_BRIDGE_HOST_ADDRESSES.split(",").map((a) => a.trim()) : [],
    cameras: (listed as { cameras?: unknown })?.cameras,
  });
  if (!parsed.success) throw new BridgeConfigError(`camera bridge configuration: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
