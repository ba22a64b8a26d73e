// Registers a delivery of camera boxes at once and makes their label sheet. An upload is idempotent: the same
// content for the same batch returns the stored report and sheet; a serial already in the batch is left as it
// is; bad rows are reported by line and the good ones registered, so staff fix the bad lines and upload again.
import { createHash } from "node:crypto";
import type { Database } from "../../../core/database.ts";
import { hashSecret, randomId, randomReadableCode } from "../../../core/secrets.ts";
import {
  maxBatchSize,
  type BatchRowView,
  type BatchUploadBody,
  type BatchUploadReply,
} from "../../../protocol/batches.ts";
import type { AuditLog } from "../access/audit.ts";
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
import { parseSerialCsv, type CsvRow } from "./batch-csv.ts";
import { formatClaimCode } from "./provisioning.ts";
import { renderLabelSheet, type BoxLabel } from "./label-sheet.ts";

export interface BatchIntakeDeps {
  db: Database;
  audit: AuditLog;
  labelFontFile: string;
  /** Counts each row of a new upload by outcome (rejected rows by reason). */
  countRow(outcome: string): void;
}

type NewBox = { line: number; serial: string; claimCode: string };

function generatedRows(count: number, now: Date): CsvRow[] {
  const year = now.getUTCFullYear();
  return Array.from({ length: count }, (_, i) => ({ line: i + 1, serial: `WX-${year}-${randomReadableCode(6)}` }));
}

function rowsOf(body: BatchUploadBody): CsvRow[] {
  if ("count" in body) assertSize(body.count);
  const rows = "csv" in body ? parseSerialCsv(body.csv) : generatedRows(body.count, new Date());
  assertSize(rows.length);
  return rows;
}

function contentHash(body: BatchUploadBody): string {
  const canonical =
    "csv" in body
      ? `csv\n${body.csv
          .replace(/^\uFEFF/, "")
          .replace(/\r\n?/g, "\n")
          .trimEnd()}`
      : `count\n${body.count}`;
  return createHash("sha256").update(canonical).digest("hex");
}

function assertSize(requested: number): void {
  if (requested > maxBatchSize) {
    throw new DomainError("batch-too-large", {
      message: `at most ${maxBatchSize} serials per upload (asked for ${requested}); split the delivery into several uploads to the same batch`,
      details: { max: maxBatchSize, requested },
    });
  }
  if (requested === 0) throw new DomainError("batch-empty", { message: "the CSV has no serials" });
}

async function findOrCreateBatch(db: Database, reference: string, actorId: string) {
  const existing = await db.deviceBatch.findUnique({ where: { reference } });
  if (existing) return existing;
  try {
    return await db.deviceBatch.create({ data: { id: randomId("bat_"), reference, createdBy: actorId } });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002")
      return db.deviceBatch.findUniqueOrThrow({ where: { reference } });
    throw error;
  }
}

/** Decides each row's fate without writing: malformed, duplicate in the file, already registered here or elsewhere, or new. */
async function classify(
  db: Database,
  batchId: string,
  rows: CsvRow[],
): Promise<{ report: BatchRowView[]; fresh: CsvRow[] }> {
  const serials = rows.filter((r) => !("malformed" in r)).map((r) => r.serial);
  const known = new Map(
    (await db.device.findMany({ where: { serial: { in: serials } }, select: { serial: true, batchId: true } })).map(
      (d) => [d.serial, d.batchId],
    ),
  );
  const firstLine = new Map<string, number>();
  const report: BatchRowView[] = [];
  const fresh: CsvRow[] = [];
  for (const row of rows) {
    const seen = firstLine.get(row.serial);
    if ("malformed" in row)
      report.push({
        line: row.line,
        serial: row.serial,
        outcome: "rejected",
        error: "malformed",
        message: row.malformed,
      });
    else if (seen !== undefined)
      report.push({
        line: row.line,
        serial: row.serial,
        outcome: "rejected",
        error: "duplicate",
        message: `${row.serial} is also on line ${seen}`,
      });
    else if (known.has(row.serial) && known.get(row.serial) === batchId)
      report.push({ line: row.line, serial: row.serial, outcome: "unchanged" });
    else if (known.has(row.serial))
      report.push({
        line: row.line,
        serial: row.serial,
        outcome: "rejected",
        error: "registered-elsewhere",
        message: `${row.serial} is already registered outside this batch`,
      });
    else {
      report.push({ line: row.line, serial: row.serial, outcome: "registered" });
      fresh.push(row);
    }
    if (!("malformed" in row) && seen === undefined) firstLine.set(row.serial, row.line);
  }
  return { report, fresh };
}

function labelsUrl(batchId: string, uploadId: string): string {
  return `/api/v1/device-batches/${batchId}/uploads/${uploadId}/labels.pdf`;
}

function toReply(
  batch: { id: string; reference: string },
  upload: { id: string; createdAt: Date },
  rows: BatchRowView[],
  repeated: boolean,
): BatchUploadReply {
  const count = (outcome: BatchRowView["outcome"]) => rows.filter((r) => r.outcome === outcome).length;
  const counts = { registered: count("registered"), unchanged: count("unchanged"), rejected: count("rejected") };
  return {
    batchId: batch.id,
    reference: batch.reference,
    repeated,
    counts,
    rows,
    labelsUrl: counts.registered > 0 ? labelsUrl(batch.id, upload.id) : null,
    createdAt: upload.createdAt.toISOString(),
  };
}

export async function uploadBatch(
  deps: BatchIntakeDeps,
  actorId: string,
  body: BatchUploadBody,
): Promise<BatchUploadReply> {
  const rows = rowsOf(body);
  const batch = await findOrCreateBatch(deps.db, body.reference, actorId);
  const sha = contentHash(body);
  const previous = await deps.db.deviceBatchUpload.findUnique({
    where: { batchId_contentSha256: { batchId: batch.id, contentSha256: sha } },
  });
  if (previous) return toReply(batch, previous, JSON.parse(previous.report) as BatchRowView[], true);

  const { report, fresh } = await classify(deps.db, batch.id, rows);
  const boxes: NewBox[] = fresh.map((row) => ({
    line: row.line,
    serial: row.serial,
    claimCode: ("claimCode" in row && row.claimCode) || randomReadableCode(8),
  }));
  const labels: BoxLabel[] = boxes.map((box) => ({ serial: box.serial, claimCode: formatClaimCode(box.claimCode) }));
  const pdf = boxes.length
    ? await renderLabelSheet(labels, deps.labelFontFile, `望乡 ${batch.reference}`)
    : Buffer.alloc(0);
  const hashes = await Promise.all(boxes.map((box) => hashSecret(box.claimCode)));
  const uploadId = randomId("upl_");
  try {
    const [, upload] = await deps.db.$transaction([
      deps.db.device.createMany({
        data: boxes.map((box, i) => ({
          id: randomId("cam_"),
          serial: box.serial,
          claimCodeHash: hashes[i]!,
          batchId: batch.id,
        })),
      }),
      deps.db.deviceBatchUpload.create({
        data: {
          id: uploadId,
          batchId: batch.id,
          contentSha256: sha,
          report: JSON.stringify(report),
          labelsPdf: new Uint8Array(pdf),
          createdBy: actorId,
        },
      }),
    ]);
    const reply = toReply(batch, upload, report, false);
    for (const row of report) deps.countRow(row.error ?? row.outcome);
    await deps.audit(actorId, "device.batch-upload", batch.id, { uploadId, ...reply.counts });
    return reply;
  } catch (error) {
    // The same upload, or another registering one of these serials, committed first: a retry sees its result.
    if ((error as { code?: string }).code === "P2002")
      throw new DomainError("batch-upload-raced", {
        message: "another upload registered some of these serials at the same moment; upload again to see the result",
      });
    throw error;
  }
}

export async function loadLabelSheet(
  deps: BatchIntakeDeps,
  actorId: string,
  batchId: string,
  uploadId: string,
): Promise<Buffer> {
  const upload = await deps.db.deviceBatchUpload.findUnique({
    where: { id: uploadId },
    select: { batchId: true, labelsPdf: true, labelsPurgedAt: true },
  });
  if (!upload || upload.batchId !== batchId) throw notFoundError("label sheet");
  if (upload.labelsPurgedAt) throw new DomainError("labels-purged");
  if (upload.labelsPdf.length === 0) throw notFoundError("label sheet");
  // The sheet carries claim codes: who printed it is worth knowing.
  await deps.audit(actorId, "device.batch-labels", batchId, { uploadId });
  return Buffer.from(upload.labelsPdf);
}

export async function listBatches(db: Database) {
  const batches = await db.deviceBatch.findMany({
    orderBy: { createdAt: "desc" },
    take: 50,
    include: {
      _count: { select: { devices: true } },
      uploads: {
        orderBy: { createdAt: "asc" },
        select: { id: true, createdAt: true, report: true, labelsPurgedAt: true },
      },
    },
  });
  return batches.map((b) => ({
    id: b.id,
    reference: b.reference,
    createdAt: b.createdAt.toISOString(),
    deviceCount: b._count.devices,
    uploads: b.uploads.map((u) => {
      const registered = (JSON.parse(u.report) as BatchRowView[]).filter((r) => r.outcome === "registered").length;
      return {
        id: u.id,
        createdAt: u.createdAt.toISOString(),
        registered,
        labelsUrl: registered > 0 && !u.labelsPurgedAt ? labelsUrl(b.id, u.id) : null,
      };
    }),
  }));
}
