// Stills from the cameras. The gateway asks a camera for one (a person's request, or the periodic timer) by
// sending it a one-time upload URL over MQTT; the camera PUTs a JPEG there and then answers the command. The
// upload is checked (token, camera, privacy, content type, size, the JPEG's own bytes) before anything is kept.
import type { Readable } from "node:stream";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import { hashToken, randomId, randomToken } from "../../../core/secrets.ts";
import type { DeviceCommand } from "../../../protocol/device-messages.ts";
import { DomainError, isDomainError, notFoundError } from "../../../protocol/errors.ts";
import type { SnapshotReason, SnapshotView } from "../../../protocol/snapshots.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { inspectJpeg } from "./jpeg-check.ts";
import { readLatestStill, type StillRow } from "./snapshot-reads.ts";
import { snapshotKey, type SnapshotStore } from "./snapshot-store.ts";

export interface SnapshotPolicy {
  maxBytes: number;
  uploadTtlMs: number;
  retentionMs: number;
  /** A person's stills of one camera at most this often. */
  personIntervalMs: number;
}

export interface SnapshotServiceOptions {
  db: Database;
  /** The driver's reads: the newest still (snapshot-reads.ts). */
  reads: SqlReader;
  store: SnapshotStore;
  hub: LiveHub;
  metrics: GatewayMetrics;
  /** Sends a command and waits for the camera's answer (CommandDispatcher.send). */
  sendCommand(
    deviceId: string,
    command: DeviceCommand,
    requestedBy: string,
  ): Promise<{ status: string; error: string | null }>;
  /** Where cameras reach this gateway over HTTP (PUBLIC_HTTP_URL). */
  publicHttpUrl(): string;
  policy: SnapshotPolicy;
}

export interface SnapshotUploadInput {
  deviceId: string;
  token: string;
  contentType: string | undefined;
  body: Readable;
}

type SnapshotRow = Omit<StillRow, "storageKey">;

export function toSnapshotView(row: SnapshotRow): SnapshotView {
  return {
    id: row.id,
    deviceId: row.deviceId,
    takenAt: row.takenAt.toISOString(),
    sizeBytes: row.sizeBytes,
    width: row.width,
    height: row.height,
    reason: row.reason as SnapshotReason,
  };
}

/** A stranger's oversized upload is read (and dropped) up to this many times the limit, so it gets its answer. */
const drainFactor = 4;
const sweepBatch = 500;

export class SnapshotService {
  readonly #o: SnapshotServiceOptions;
  /** When each camera was last asked for a still by a person (this gateway's share of the limit). */
  readonly #personAskedAt = new Map<string, number>();

  constructor(options: SnapshotServiceOptions) {
    this.#o = options;
  }

  /** Asks the camera for a still now and waits until it is stored (or the camera refuses or does not answer). */
  async request(deviceId: string, reason: SnapshotReason, requestedBy: string): Promise<SnapshotView> {
    try {
      const view = await this.#request(deviceId, reason, requestedBy);
      this.#o.metrics.snapshotRequests.inc({ reason, outcome: "stored" });
      return view;
    } catch (error) {
      const outcome = isDomainError(error) ? error.code : "internal";
      this.#o.metrics.snapshotRequests.inc({ reason, outcome });
      throw error;
    }
  }

  #spendPersonTurn(deviceId: string): void {
    const now = Date.now();
    const waitMs = (this.#personAskedAt.get(deviceId) ?? -Infinity) + this.#o.policy.personIntervalMs - now;
    if (waitMs > 0) throw new DomainError("too-many-stills", { details: { retryAfterS: Math.ceil(waitMs / 1000) } });
    this.#personAskedAt.set(deviceId, now);
    if (this.#personAskedAt.size > 50_000) this.#forgetOldTurns(now);
  }

  #forgetOldTurns(now: number): void {
    for (const [deviceId, at] of this.#personAskedAt)
      if (now - at > this.#o.policy.personIntervalMs) this.#personAskedAt.delete(deviceId);
  }

  async #request(deviceId: string, reason: SnapshotReason, requestedBy: string): Promise<SnapshotView> {
    const { db, policy } = this.#o;
    const device = await db.device.findUnique({
      where: { id: deviceId },
      select: { privacy: true, connection: true, claimState: true },
    });
    if (!device) throw notFoundError("camera");
    // Privacy mode: the gateway does not even ask (and the camera would refuse).
    if (device.privacy) throw new DomainError("privacy-mode");
    // No one-time URL for a camera that cannot take it now (the dispatcher would refuse the command anyway).
    if (device.claimState !== "claimed") throw new DomainError("camera-not-claimed");
    if (device.connection !== "online") throw new DomainError("camera-offline");
    if (reason === "request") this.#spendPersonTurn(deviceId);
    const token = randomToken(24);
    const uploadId = randomId("snp_", 16);
    await db.snapshotUpload.create({
      data: {
        id: uploadId,
        deviceId,
        tokenHash: hashToken(token),
        reason,
        requestedBy,
        expiresAt: new Date(Date.now() + policy.uploadTtlMs),
      },
    });
    const uploadUrl = `${this.#o.publicHttpUrl()}/api/v1/devices/${deviceId}/snapshot-uploads/${token}`;
    const command = await this.#o.sendCommand(
      deviceId,
      { name: "take-snapshot", params: { uploadUrl, maxBytes: policy.maxBytes } },
      requestedBy,
    );
    if (command.status !== "succeeded")
      throw new DomainError("snapshot-failed", { details: { cameraSaid: command.error } });
    // The still is stored under the upload's id; the camera answers only after its upload was answered.
    const stored = await db.snapshot.findUnique({ where: { id: uploadId } });
    if (!stored) throw new DomainError("snapshot-failed", { message: "the camera answered, but no still arrived" });
    return toSnapshotView(stored);
  }

  /** The camera's PUT to its one-time URL. Every refusal stores nothing and is counted by its code. */
  async acceptUpload(input: SnapshotUploadInput): Promise<SnapshotView> {
    const receivedAt = new Date();
    try {
      // The token first: a stranger's body is never read (nor waited for).
      const upload = await this.#useToken(input.deviceId, input.token, receivedAt);
      const bytes = await readUpTo(input.body, this.#o.policy.maxBytes);
      const device = await this.#o.db.device.findUnique({
        where: { id: input.deviceId },
        select: { privacy: true, householdId: true },
      });
      if (!device) throw new DomainError("snapshot-wrong-camera");
      if (device.privacy) throw new DomainError("privacy-mode");
      if (!isJpegContentType(input.contentType)) throw new DomainError("snapshot-not-jpeg");
      if (!bytes) throw new DomainError("snapshot-too-large", { details: { maxBytes: this.#o.policy.maxBytes } });
      const jpeg = inspectJpeg(bytes);
      if (!jpeg.ok) throw new DomainError("snapshot-bad-jpeg", { message: `not a usable JPEG: ${jpeg.reason}` });
      const view = await this.#keep({ ...upload, householdId: device.householdId }, bytes, jpeg, receivedAt);
      this.#o.metrics.snapshotUploads.inc({ outcome: "stored" });
      return view;
    } catch (error) {
      this.#o.metrics.snapshotUploads.inc({ outcome: isDomainError(error) ? error.code : "internal" });
      throw error;
    }
  }

  /** Single use: the token is spent by the first upload that reaches this point, whatever its bytes. */
  async #useToken(deviceId: string, token: string, now: Date) {
    const { db } = this.#o;
    const upload = await db.snapshotUpload.findUnique({ where: { tokenHash: hashToken(token) } });
    if (!upload) throw new DomainError("snapshot-token-invalid");
    if (upload.deviceId !== deviceId) throw new DomainError("snapshot-wrong-camera");
    if (upload.usedAt) throw new DomainError("snapshot-token-used");
    if (upload.expiresAt <= now) throw new DomainError("snapshot-token-expired");
    const { count } = await db.snapshotUpload.updateMany({
      where: { id: upload.id, usedAt: null },
      data: { usedAt: now },
    });
    if (count === 0) throw new DomainError("snapshot-token-used");
    return upload;
  }

  async #keep(
    upload: { id: string; deviceId: string; reason: string; householdId: string | null },
    bytes: Buffer,
    jpeg: { width: number; height: number },
    receivedAt: Date,
  ): Promise<SnapshotView> {
    const { db, store, hub } = this.#o;
    const storageKey = snapshotKey(upload.deviceId, upload.id);
    await store.put(storageKey, bytes);
    let row: SnapshotRow;
    try {
      row = await db.snapshot.create({
        data: {
          id: upload.id,
          deviceId: upload.deviceId,
          // Before the object's own write time, so the retention sweep never finds a kept object "older" than its row.
          takenAt: receivedAt,
          sizeBytes: bytes.length,
          width: jpeg.width,
          height: jpeg.height,
          storageKey,
          reason: upload.reason,
        },
      });
    } catch (error) {
      await store.delete(storageKey).catch(() => {});
      throw error;
    }
    const view = toSnapshotView(row);
    hub.publish(
      { type: "device.snapshot", snapshot: view },
      { deviceId: upload.deviceId, householdId: upload.householdId, insideHome: true },
    );
    return view;
  }

  /**
   * The camera's newest still since it was bound to its household (a moved camera's old pictures are not the
   * new household's). Hidden while privacy mode is on.
   */
  async latest(deviceId: string): Promise<StillRow> {
    const latest = await readLatestStill(this.#o.reads, deviceId);
    if (!latest) throw notFoundError("camera");
    if (latest.privacy) throw new DomainError("privacy-mode");
    if (!latest.still) throw notFoundError("still");
    return latest.still;
  }

  async latestImage(deviceId: string): Promise<{ bytes: Buffer; snapshot: SnapshotView }> {
    const row = await this.latest(deviceId);
    const bytes = await this.#o.store.get(row.storageKey);
    if (!bytes) throw notFoundError("still");
    return { bytes, snapshot: toSnapshotView(row) };
  }

  /** Deletes stills past the retention period (rows and objects, and objects whose row never got written). */
  async sweep(now = new Date()): Promise<number> {
    const { db, store, policy, metrics } = this.#o;
    const cutoff = new Date(now.getTime() - policy.retentionMs);
    let deleted = 0;
    for (;;) {
      const old = await db.snapshot.findMany({
        where: { takenAt: { lt: cutoff } },
        select: { id: true, storageKey: true },
        take: sweepBatch,
      });
      for (const row of old) await store.delete(row.storageKey);
      await db.snapshot.deleteMany({ where: { id: { in: old.map((row) => row.id) } } });
      deleted += old.length;
      if (old.length < sweepBatch) break;
    }
    const orphans = await store.listOlderThan(cutoff);
    for (const key of orphans) await store.delete(key);
    await db.snapshotUpload.deleteMany({ where: { expiresAt: { lt: cutoff } } });
    metrics.snapshotsDeleted.inc(deleted + orphans.length);
    return deleted + orphans.length;
  }
}

function isJpegContentType(header: string | undefined): boolean {
  return header?.split(";")[0]?.trim().toLowerCase() === "image/jpeg";
}

/**
 * The body, or null when it is larger than maxBytes. An oversized body is still read to its end (up to a few
 * times the limit, then the connection is cut) so that the sender reads the answer instead of a broken pipe.
 */
async function readUpTo(body: Readable, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total <= maxBytes) chunks.push(chunk);
    else if (total > maxBytes * drainFactor) {
      body.destroy();
      return null;
    }
  }
  return total <= maxBytes ? Buffer.concat(chunks, total) : null;
}
