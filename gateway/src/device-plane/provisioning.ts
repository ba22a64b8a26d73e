// The life of a camera: registered (box on a shelf) → bound to a household by an installer →
// claimed by the camera itself (serial + claim code → its own MQTT credentials) → revoked or re-armed.
import { hashSecret, randomId, randomReadableCode, randomToken, verifySecret } from "../../../core/secrets.ts";
import { boxQrText, parseBoxQr, claimCode as claimCodeSchema, serial as serialSchema } from "../../../protocol/http.ts";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import type { AuditLog } from "../access/audit.ts";
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
// Binding or replacing with a revoked camera answers 409, where the catalogue (and the claim) say 403 (README).

/** What the provisioning steps touch: the database, the audit trail, and the live session of a camera whose credentials are dropped. */
export interface ProvisioningDeps {
  db: Database;
  /** The driver's reads (core/sql-reader.ts), for the access check of a rename. */
  reads: SqlReader;
  audit: AuditLog;
  /** Drops the device's live MQTT session on whichever broker holds it. */
  disconnectDevice(deviceId: string): Promise<void>;
  markOffline(deviceId: string, reason: string): Promise<void>;
  /** Ends every live view of the camera now (it changed hands). */
  cutViewers(deviceId: string, reason: string): Promise<void>;
  /** A camera out of service (revoked, removed, replaced, re-armed) has no open alert. */
  closeAlertsOf(deviceId: string): Promise<void>;
  /** A claimed camera's MQTT password as it is stored (HMAC under the deployment's key). */
  hashDeviceCredential(secret: string): string;
}

// Compared against when a serial is unknown, so that an unknown serial and a wrong code take the same time
// and get the same answer: a guesser learns nothing about which serials exist.
const UNKNOWN_SERIAL_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const wrongCode = () =>
  new DomainError("claim-code-wrong", { message: "this serial and claim code do not match a camera; check both" });

/** The device with this serial if `code` is its claim code; unknown serial and wrong code fail alike. */
async function deviceProvenBy(deps: ProvisioningDeps, serial: string, code: string) {
  const device = await deps.db.device.findUnique({ where: { serial } });
  const matches = await verifySecret(code, device?.claimCodeHash ?? UNKNOWN_SERIAL_HASH);
  if (!device || !matches) throw wrongCode();
  return device;
}

export type BindRequest = { serial: string; claimCode: string; label?: string } | { qr: string; label?: string };

export function formatClaimCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

export async function registerDevice(
  deps: ProvisioningDeps,
  actorId: string,
  input: { serial: string; claimCode?: string; model?: string },
) {
  const existing = await deps.db.device.findUnique({ where: { serial: input.serial }, select: { id: true } });
  if (existing) throw new DomainError("serial-exists", { message: `serial ${input.serial} is already registered` });
  const code = input.claimCode ?? randomReadableCode(8);
  const id = randomId("cam_");
  try {
    await deps.db.device.create({
      data: { id, serial: input.serial, claimCodeHash: await hashSecret(code), model: input.model ?? "WX-C1" },
    });
  } catch (error) {
    // Two registrations of one serial at once: the unique index decides.
    if ((error as { code?: string }).code === "P2002")
      throw new DomainError("serial-exists", { message: `serial ${input.serial} is already registered` });
    throw error;
  }
  await deps.audit(actorId, "device.register", id, { serial: input.serial });
  return {
    deviceId: id,
    serial: input.serial,
    claimCode: formatClaimCode(code),
    qr: boxQrText(input.serial, formatClaimCode(code)),
  };
}

/** Serial + claim code from typed fields or the box's QR text, checked against the stored hash. */
async function provePossession(deps: ProvisioningDeps, request: BindRequest) {
  let serial: string;
  let code: string;
  if ("qr" in request) {
    const scanned = parseBoxQr(request.qr);
    const s = scanned && serialSchema.safeParse(scanned.serial);
    const c = scanned && claimCodeSchema.safeParse(scanned.claimCode);
    if (!s?.success || !c?.success) throw new DomainError("qr-unreadable");
    serial = s.data;
    code = c.data;
  } else {
    serial = request.serial;
    code = request.claimCode;
  }
  return deviceProvenBy(deps, serial, code);
}

export async function bindDevice(deps: ProvisioningDeps, actorId: string, householdId: string, request: BindRequest) {
  const device = await provePossession(deps, request);
  if (device.claimState === "revoked")
    throw new DomainError("device-revoked", { message: "this camera has been revoked; ask staff to re-arm it" });
  if (device.householdId && device.householdId !== householdId) {
    throw new DomainError("device-in-other-household");
  }
  const newlyBound = device.householdId !== householdId;
  const updated = await deps.db.device.update({
    where: { id: device.id },
    data: {
      householdId,
      label: request.label ?? device.label,
      ...(newlyBound ? { boundBy: actorId, boundAt: new Date() } : {}),
    },
  });
  if (newlyBound) await deps.audit(actorId, "device.bind", device.id, { householdId });
  return updated.id;
}

export async function claimDevice(deps: ProvisioningDeps, serial: string, code: string) {
  const device = await deviceProvenBy(deps, serial, code);
  if (device.claimState === "revoked") throw new DomainError("device-revoked");
  if (device.claimState === "claimed")
    throw new DomainError("claim-code-used", {
      message: "this camera has already been claimed; an installer can re-arm it after a factory reset",
    });
  const password = randomToken(32);
  const credentialHash = deps.hashDeviceCredential(password);
  // Only one of two racing claims wins: the update is conditional on the state we read.
  const won = await deps.db.device.updateMany({
    where: { id: device.id, claimState: "registered" },
    data: { claimState: "claimed", credentialHash, claimedAt: new Date() },
  });
  if (won.count !== 1) throw new DomainError("claim-code-used");
  await deps.audit(null, "device.claim", device.id);
  return { deviceId: device.id, password };
}

/** Drops the camera's credentials and live session. `to` is "registered" (re-arm: may claim again) or "revoked". */
async function dropCredentials(deps: ProvisioningDeps, deviceId: string, to: "registered" | "revoked") {
  await deps.db.device.update({
    where: { id: deviceId },
    data: { claimState: to, credentialHash: null, revokedAt: to === "revoked" ? new Date() : null },
  });
  await deps.disconnectDevice(deviceId);
  await deps.markOffline(deviceId, to === "revoked" ? "revoked" : "re-armed");
  await deps.closeAlertsOf(deviceId);
}

export async function revokeDevice(deps: ProvisioningDeps, actorId: string, deviceId: string) {
  await dropCredentials(deps, deviceId, "revoked");
  await deps.audit(actorId, "device.revoke", deviceId);
}

export async function rearmDevice(deps: ProvisioningDeps, actorId: string, deviceId: string) {
  await dropCredentials(deps, deviceId, "registered");
  await deps.audit(actorId, "device.rearm", deviceId);
}

export async function moveDevice(deps: ProvisioningDeps, actorId: string, deviceId: string, householdId: string) {
  const household = await deps.db.household.findUnique({ where: { id: householdId }, select: { id: true } });
  if (!household) throw notFoundError("household");
  const moved = await deps.db.device.updateMany({ where: { id: deviceId }, data: { householdId } });
  if (moved.count === 0) throw notFoundError("camera");
  // Whoever watched for the old home must not keep watching the new one.
  await deps.cutViewers(deviceId, "camera-moved");
  await deps.audit(actorId, "device.move", deviceId, { householdId });
}

/** Unbinds the camera and re-arms it, so the box can be installed elsewhere. */
export async function removeDevice(deps: ProvisioningDeps, actorId: string, householdId: string, deviceId: string) {
  const device = await deps.db.device.findUnique({
    where: { id: deviceId },
    select: { householdId: true, claimState: true },
  });
  if (!device || device.householdId !== householdId) throw notFoundError("camera in this household");
  await deps.db.device.update({
    where: { id: deviceId },
    data: { householdId: null, label: null, boundBy: null, boundAt: null },
  });
  await deps.cutViewers(deviceId, "camera-removed");
  // Removing never lifts a revocation: that stays staff's decision (POST /devices/{id}/rearm).
  if (device.claimState !== "revoked") await dropCredentials(deps, deviceId, "registered");
  await deps.audit(actorId, "device.remove", deviceId, { householdId });
}

/** A broken camera is swapped for a new box: the new one takes its household and label. The old one is
 * revoked when staff replace it; an installer's replacement only re-arms it (revocation is staff's). */
export async function replaceDevice(
  deps: ProvisioningDeps,
  actor: { id: string; role: string },
  oldDeviceId: string,
  request: BindRequest,
) {
  const actorId = actor.id;
  const old = await deps.db.device.findUnique({ where: { id: oldDeviceId } });
  if (!old) throw notFoundError("camera");
  if (!old.householdId) throw new DomainError("device-not-installed");
  const replacement = await provePossession(deps, request);
  if (replacement.id === old.id) throw new DomainError("same-device");
  if (replacement.claimState === "revoked")
    throw new DomainError("device-revoked", { message: "the replacement camera has been revoked" });
  if (replacement.householdId && replacement.householdId !== old.householdId)
    throw new DomainError("device-in-other-household", { message: "the replacement belongs to another household" });
  await deps.db.device.update({
    where: { id: replacement.id },
    data: { householdId: old.householdId, label: request.label ?? old.label, boundBy: actorId, boundAt: new Date() },
  });
  await deps.db.device.update({ where: { id: old.id }, data: { householdId: null, boundBy: null, boundAt: null } });
  await deps.cutViewers(old.id, "camera-replaced");
  if (old.claimState !== "revoked")
    await dropCredentials(deps, old.id, actor.role === "staff" ? "revoked" : "registered");
  await deps.audit(actorId, "device.replace", old.id, { replacement: replacement.id });
  return replacement.id;
}

/** A camera's new name; the old and new names go in the audit trail. */
export async function renameDevice(deps: ProvisioningDeps, actorId: string, deviceId: string, label: string) {
  const before = await deps.db.device.findUniqueOrThrow({ where: { id: deviceId }, select: { label: true } });
  await deps.db.device.update({ where: { id: deviceId }, data: { label } });
  await deps.audit(actorId, "device.rename", deviceId, { from: before.label, to: label });
}
