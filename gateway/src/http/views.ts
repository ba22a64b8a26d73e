// Database rows → the API's reply shapes (protocol/http.ts).
import type { z } from "zod";
import type { alertView, commandView, deviceView, householdView } from "../../../protocol/http.ts";
import { cameraHealthState, type CommandName } from "../../../protocol/device-messages.ts";
import { alertKind } from "../../../protocol/http.ts";
import { elderHoldsPrivacy } from "../../../protocol/privacy.ts";

export type DeviceRow = {
  id: string;
  serial: string;
  claimState: string;
  householdId: string | null;
  label: string | null;
  model: string;
  firmware: string | null;
  connection: string;
  connectionSince: Date | null;
  privacy: boolean;
  privacyByElder: boolean;
  privacyUntil: Date | null;
  lastSeenAt: Date | null;
  lastHeartbeatAt: Date | null;
  rssi: number | null;
  temperatureC: number | null;
  uptimeS: number | null;
  freeStorageMb: number | null;
  cameraHealth: string | null;
  cameraHealthDetail: string | null;
  cameraHealthSince: Date | null;
  talkback: boolean | null;
  callButton: boolean | null;
  household: { village: string; elderName: string } | null;
};

// Reading only the columns a view shows halves Prisma's work on a page of rows (it maps every column it reads).
export const deviceViewSelect = {
  id: true,
  serial: true,
  claimState: true,
  householdId: true,
  label: true,
  model: true,
  firmware: true,
  connection: true,
  connectionSince: true,
  privacy: true,
  privacyByElder: true,
  privacyUntil: true,
  lastSeenAt: true,
  lastHeartbeatAt: true,
  rssi: true,
  temperatureC: true,
  uptimeS: true,
  freeStorageMb: true,
  cameraHealth: true,
  cameraHealthDetail: true,
  cameraHealthSince: true,
  talkback: true,
  callButton: true,
  household: { select: { village: true, elderName: true } },
} as const;
const alertHousehold = { select: { village: true, elderName: true, contactName: true, contactPhone: true } } as const;
export const alertInclude = {
  device: { select: { serial: true, householdId: true, household: alertHousehold } },
} as const;
export const alertViewSelect = {
  id: true,
  deviceId: true,
  kind: true,
  raisedAt: true,
  lastNotifiedAt: true,
  notifyCount: true,
  resolvedAt: true,
  acknowledgedAt: true,
  acknowledgedBy: true,
  device: { select: { serial: true, household: alertHousehold } },
} as const;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toDeviceView(d: DeviceRow): z.infer<typeof deviceView> {
  return {
    id: d.id,
    serial: d.serial,
    claimState: d.claimState as "registered" | "claimed" | "revoked",
    householdId: d.householdId,
    village: d.household?.village ?? null,
    elderName: d.household?.elderName ?? null,
    label: d.label,
    model: d.model,
    firmware: d.firmware,
    connection: d.connection as "unknown" | "online" | "offline",
    privacy: d.privacy,
    privacyByElder: elderHoldsPrivacy(d),
    lastSeenAt: iso(d.lastSeenAt),
    lastHeartbeatAt: iso(d.lastHeartbeatAt),
    rssi: d.rssi,
    temperatureC: d.temperatureC,
    uptimeS: d.uptimeS,
    freeStorageMb: d.freeStorageMb,
    offlineSince: d.connection === "offline" ? iso(d.connectionSince) : null,
    camera: cameraHealthView(d),
    talkback: d.talkback ?? true,
    callButton: d.callButton ?? true,
  };
}

/** The camera behind a bridge as the bridge last found it; null for our own cameras (they are their camera). */
function cameraHealthView(d: DeviceRow): z.infer<typeof deviceView>["camera"] {
  // Most cameras are ours and have no health of their own: no parse for them (a failed parse builds an error object).
  if (d.cameraHealth === null || !d.cameraHealthSince) return null;
  const parsed = cameraHealthState.safeParse(d.cameraHealth);
  if (!parsed.success) return null;
  return { health: parsed.data, detail: d.cameraHealthDetail, since: d.cameraHealthSince.toISOString() };
}

export type AlertRow = {
  id: string;
  deviceId: string;
  kind: string;
  raisedAt: Date;
  lastNotifiedAt: Date;
  notifyCount: number;
  resolvedAt: Date | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  device: {
    serial: string;
    household: { village: string; elderName: string; contactName: string | null; contactPhone: string } | null;
  };
};

/** @param acknowledgedByName the display name of `acknowledgedBy` (access/display-names.ts), when known */
export function toAlertView(a: AlertRow, acknowledgedByName: string | null = null): z.infer<typeof alertView> {
  const household = a.device.household;
  return {
    id: a.id,
    deviceId: a.deviceId,
    serial: a.device.serial,
    village: household?.village ?? null,
    elderName: household?.elderName ?? null,
    contactName: household?.contactName ?? null,
    contactPhone: household?.contactPhone ?? null,
    kind: alertKind.parse(a.kind),
    raisedAt: a.raisedAt.toISOString(),
    lastNotifiedAt: a.lastNotifiedAt.toISOString(),
    notifyCount: a.notifyCount,
    resolvedAt: iso(a.resolvedAt),
    acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy,
    acknowledgedByName: a.acknowledgedBy ? acknowledgedByName : null,
  };
}

type CommandRow = {
  id: string;
  deviceId: string;
  name: string;
  params: string;
  status: string;
  result: string | null;
  error: string | null;
  requestedBy: string;
  createdAt: Date;
  finishedAt: Date | null;
};

export function toCommandView(c: CommandRow, requestedByName: string | null = null): z.infer<typeof commandView> {
  return {
    id: c.id,
    deviceId: c.deviceId,
    name: c.name as CommandName,
    params: JSON.parse(c.params) as Record<string, unknown>,
    status: c.status as "pending" | "succeeded" | "failed" | "timed-out",
    result: c.result ? (JSON.parse(c.result) as Record<string, unknown>) : null,
    error: c.error,
    requestedBy: c.requestedBy,
    requestedByName,
    createdAt: c.createdAt.toISOString(),
    finishedAt: iso(c.finishedAt),
  };
}

export type HouseholdRow = {
  id: string;
  village: string;
  elderName: string;
  contactName: string | null;
  contactPhone: string;
  address: string | null;
  createdAt: Date;
  _count: { devices: number };
};

export function toHouseholdView(h: HouseholdRow): z.infer<typeof householdView> {
  return {
    id: h.id,
    village: h.village,
    elderName: h.elderName,
    contactName: h.contactName,
    contactPhone: h.contactPhone,
    address: h.address,
    createdAt: h.createdAt.toISOString(),
    deviceCount: h._count.devices,
  };
}
