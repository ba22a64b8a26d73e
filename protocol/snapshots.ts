// Stills (JPEG) from the cameras: what the API says about them and the camera's one-time upload route.
import { z } from "zod";
import { isoTime } from "./device-messages.ts";

export const snapshotReason = z.enum(["request", "periodic"]);
export type SnapshotReason = z.infer<typeof snapshotReason>;

export const snapshotView = z.object({
  id: z.string(),
  deviceId: z.string(),
  takenAt: isoTime.describe("when the gateway received the still"),
  sizeBytes: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  reason: snapshotReason,
});
export type SnapshotView = z.infer<typeof snapshotView>;

/** PUT /api/v1/devices/{deviceId}/snapshot-uploads/{token}: the token is the one-time secret of the upload URL. */
export const snapshotUploadParams = z.object({
  deviceId: z.string().min(1).max(64),
  /** Any text up to the length limit: one the gateway did not give out is answered snapshot-token-invalid. */
  token: z.string().min(1).max(200),
});
