// Staff register deliveries of camera boxes and print their labels.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { batchUploadBody, batchUploadParams, batchUploadReply, batchView } from "../../../protocol/batches.ts";
import { errorReply } from "../../../protocol/http.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";
import { listBatches, loadLabelSheet, uploadBatch, type BatchIntakeDeps } from "./batch-intake.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 503: errorReply };

/**
 * Saved as "标签-<the batch's reference>.pdf" by browsers (RFC 6266 `filename*`, UTF-8), with a plain ASCII name
 * for clients that read only `filename`.
 */
function labelSheetDisposition(uploadId: string, reference: string): string {
  const name = `标签-${reference.replace(/[\\/:*?"<>|\p{Cc}]+/gu, "-").trim() || uploadId}.pdf`;
  // encodeURIComponent leaves ' ( ) * as they are; RFC 8187 does not allow them in the value.
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="labels-${uploadId}.pdf"; filename*=UTF-8''${encoded}`;
}

export async function batchPlugin(app: FastifyInstance, deps: BatchIntakeDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    "/device-batches",
    {
      schema: {
        tags: ["provisioning"],
        summary:
          "Register a delivery of camera boxes from a CSV of serials or a count to generate; idempotent; bad rows reported by line",
        body: batchUploadBody,
        response: { 200: batchUploadReply, 201: batchUploadReply, ...errors },
      },
      preHandler: requireRole("staff"),
    },
    async (request, reply) => {
      const result = await uploadBatch(deps, signedIn(request).id, request.body);
      return reply.status(result.repeated ? 200 : 201).send(result);
    },
  );

  r.get(
    "/device-batches",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Recent deliveries and their label sheets",
        response: { 200: z.array(batchView), ...errors },
      },
      preHandler: requireRole("staff"),
    },
    async () => listBatches(deps.db),
  );

  r.get(
    "/device-batches/:batchId/uploads/:uploadId/labels.pdf",
    {
      schema: {
        tags: ["provisioning"],
        summary: "The label sheet (PDF) of the boxes one upload registered; it carries claim codes",
        params: batchUploadParams,
      },
      preHandler: requireRole("staff"),
    },
    async (request, reply) => {
      const pdf = await loadLabelSheet(deps, signedIn(request).id, request.params.batchId, request.params.uploadId);
      const batch = await deps.db.deviceBatch.findUnique({
        where: { id: request.params.batchId },
        select: { reference: true },
      });
      return reply
        .type("application/pdf")
        .header("cache-control", "no-store")
        .header("content-disposition", labelSheetDisposition(request.params.uploadId, batch?.reference ?? ""))
        .send(pdf);
    },
  );
}
