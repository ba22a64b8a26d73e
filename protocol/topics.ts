// MQTT topic layout. Every device lives under devices/{deviceId}/ and may touch nothing else.
export const deviceIdPattern = /^cam_[a-z0-9]{12}$/;

export const deviceStatusTopic = (deviceId: string) => `devices/${deviceId}/status`;
export const deviceTelemetryTopic = (deviceId: string) => `devices/${deviceId}/telemetry`;
export const deviceEventsTopic = (deviceId: string) => `devices/${deviceId}/events`;
/** Movement seen per minute (protocol/wellbeing.ts): numbers only, never images. */
export const deviceActivityTopic = (deviceId: string) => `devices/${deviceId}/activity`;
export const deviceCommandTopic = (deviceId: string) => `devices/${deviceId}/cmd`;
/** Where a device answers commands: the response topic named in each command (MQTT 5 request/response). */
export const deviceCommandResponseTopic = (deviceId: string) => `devices/${deviceId}/cmd/response`;

/**
 * Service-only control topic: every broker subscribes to it internally and drops the named device's live
 * session (revocation, re-arm), whichever broker the device is on. Payload {"deviceId": "..."}.
 * No client may subscribe to it; only the gateway's service user may publish to it.
 */
export const brokerDisconnectTopic = "wangxiang/control/disconnect-device";

/** Subscriptions the gateway's service client holds. */
export const gatewaySubscriptions = [
  "devices/+/status",
  "devices/+/telemetry",
  "devices/+/events",
  "devices/+/activity",
  "devices/+/cmd/response",
] as const;

export type DeviceTopicKind = "status" | "telemetry" | "events" | "activity" | "cmd" | "cmd/response";

/** Splits devices/{id}/{kind}; returns null for anything that is not a device topic. */
export function parseDeviceTopic(topic: string): { deviceId: string; kind: DeviceTopicKind } | null {
  const match = /^devices\/([^/]+)\/(status|telemetry|events|activity|cmd|cmd\/response)$/.exec(topic);
  if (!match) return null;
  return { deviceId: match[1]!, kind: match[2] as DeviceTopicKind };
}

/** The topics a device may publish to and subscribe to: its own, and only those. */
export function devicePublishTopics(deviceId: string): string[] {
  return [
    deviceStatusTopic(deviceId),
    deviceTelemetryTopic(deviceId),
    deviceEventsTopic(deviceId),
    deviceActivityTopic(deviceId),
    deviceCommandResponseTopic(deviceId),
  ];
}
export function deviceSubscribeTopics(deviceId: string): string[] {
  return [deviceCommandTopic(deviceId)];
}
