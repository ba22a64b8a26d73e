// Batch intake: staff register a delivery of camera boxes from a CSV of serials (or a count to generate)
// and get back a sheet of QR labels to stick on the boxes.
import { z } from "zod";
import { isoTime } from "./device-messages.ts";

/** One sheet is at most this many labels: larger deliveries are uploaded in parts (each claim code costs a slow hash). */
export const maxBatchSize = 500;
/** A CSV of 500 lines is ~15 KB; this leaves room for a spreadsheet's extra columns without letting a huge file in. */
const maxCsvChars = 200_000;

export const batchReference = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .describe(
    "the delivery's name, e.g. its delivery note number; uploading to the same reference adds to the same batch",
  );

export const batchUploadBody = z.union([
  z.object({
    reference: batchReference,
    csv: z
      .string()
      .min(1)
      .max(maxCsvChars)
      .describe("one serial per line, optionally a claim code in the second column; a header line is skipped"),
  }),
  z.object({
    reference: batchReference,
    count: z.number().int().min(1).describe(`serials to generate (at most ${maxBatchSize})`),
  }),
]);
export type BatchUploadBody = z.infer<typeof batchUploadBody>;

export const batchRowError = z.enum(["malformed", "duplicate", "registered-elsewhere"]);
export const batchRowView = z.object({
  line: z.number().int(),
  serial: z.string(),
  outcome: z
    .enum(["registered", "unchanged", "rejected"])
    .describe("unchanged: already registered in this batch by an earlier upload"),
  error: batchRowError.optional(),
  message: z.string().optional(),
});
export type BatchRowView = z.infer<typeof batchRowView>;

export const batchUploadReply = z.object({
  batchId: z.string(),
  reference: z.string(),
  /** The same upload was made before: nothing changed, this is its stored report. */
  repeated: z.boolean(),
  counts: z.object({ registered: z.number().int(), unchanged: z.number().int(), rejected: z.number().int() }),
  rows: z.array(batchRowView),
  /** The label sheet of the boxes this upload registered; null when it registered none. */
  labelsUrl: z.string().nullable(),
  createdAt: isoTime,
});
export type BatchUploadReply = z.infer<typeof batchUploadReply>;

export const batchView = z.object({
  id: z.string(),
  reference: z.string(),
  createdAt: isoTime,
  deviceCount: z.number().int(),
  uploads: z.array(
    z.object({ id: z.string(), createdAt: isoTime, registered: z.number().int(), labelsUrl: z.string().nullable() }),
  ),
});
export const batchUploadParams = z.object({ batchId: z.string().min(1).max(64), uploadId: z.string().min(1).max(64) });
