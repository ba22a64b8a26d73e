// Cameras as the live socket updates them: fetched once, then patched by device and command events.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ServerMessage } from "../../protocol/ws.ts";
import { useLiveEvents } from "./hooks.ts";
import type { DeviceView } from "./types.ts";

/** Applies a live event to a camera; events about other cameras leave it as it is (same object). */
export function applyDeviceEvent<T extends DeviceView>(device: T, message: ServerMessage): T {
  if (message.type === "device.connection" && message.deviceId === device.id) {
    return {
      ...device,
      connection: message.state,
      lastSeenAt: message.at,
      offlineSince: message.state === "offline" ? message.at : null,
    };
  }
  if (message.type === "device.heartbeat" && message.deviceId === device.id) {
    return {
      ...device,
      connection: "online",
      lastSeenAt: message.at,
      lastHeartbeatAt: message.at,
      rssi: message.rssi,
      temperatureC: message.temperatureC,
      uptimeS: message.uptimeS,
    };
  }
  if (message.type === "device.camera" && message.deviceId === device.id)
    return { ...device, camera: { health: message.health, detail: message.detail, since: message.at } };
  if (message.type === "device.privacy" && message.deviceId === device.id)
    return { ...device, privacy: message.privacy, privacyByElder: message.privacyByElder };
  if (
    message.type === "command.finished" &&
    message.command.deviceId === device.id &&
    message.command.name === "privacy" &&
    message.command.status === "succeeded"
  ) {
    return { ...device, privacy: Boolean(message.command.params.enabled) };
  }
  return device;
}

/** When the event happened, for events that change a camera. */
function eventTime(message: ServerMessage): number | null {
  if (message.type === "device.connection" || message.type === "device.heartbeat" || message.type === "device.privacy")
    return Date.parse(message.at);
  if (message.type === "command.finished") return Date.parse(message.command.finishedAt ?? message.command.createdAt);
  return null;
}

/** How recent the fetched picture of a camera is. */
function fetchedTime(device: DeviceView): number {
  return Math.max(Date.parse(device.lastSeenAt ?? "") || 0, Date.parse(device.offlineSince ?? "") || 0);
}

/**
 * Cameras fetched once, then patched by live events. A refetch (after a reconnect, say) can answer with a
 * picture taken before an event that has already arrived: events newer than what a fetch says are applied
 * again on top of it, so a camera that just went offline does not flip back to online.
 */
export function useLiveDevices<T extends DeviceView>(fetched: T[] | null | undefined): T[] {
  const [list, setList] = useState<T[]>(fetched ?? []);
  const recent = useRef<{ at: number; message: ServerMessage }[]>([]);
  useEffect(() => {
    setList(
      (fetched ?? []).map((device) =>
        recent.current.reduce((d, e) => (e.at > fetchedTime(d) ? applyDeviceEvent(d, e.message) : d), device),
      ),
    );
  }, [fetched]);
  useLiveEvents((message) => {
    const at = eventTime(message);
    if (at === null) return;
    recent.current = [...recent.current.slice(-49), { at, message }];
    setList((current) => {
      const next = current.map((d) => applyDeviceEvent(d, message));
      return next.some((d, i) => d !== current[i]) ? next : current;
    });
  });
  return list;
}

export function useLiveDevice<T extends DeviceView>(fetched: T | null | undefined): T | null {
  const list = useLiveDevices(useMemo(() => (fetched ? [fetched] : null), [fetched]));
  return list[0] ?? null;
}
