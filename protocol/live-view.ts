// Live view: asking to watch a camera, and the household's log of who watched.
import { z } from "zod";
import { iceServer, isoTime } from "./device-messages.ts";

export { iceServer };

/** POST /api/v1/devices/{id}/view → a viewer token for WHEP (POST {whepUrl}, Authorization: Bearer token). */
export const viewGrantReply = z.object({
  token: z.string(),
  expiresAt: isoTime,
  whepUrl: z.string().describe("path of the WHEP endpoint, relative to the gateway"),
  iceServers: z.array(iceServer),
});

export const viewLogQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });
export const viewLogEntry = z.object({
  id: z.string(),
  deviceId: z.string(),
  serial: z.string(),
  label: z.string().nullable(),
  userId: z.string(),
  displayName: z.string(),
  startedAt: isoTime,
  endedAt: isoTime.nullable(),
  durationS: z.number().nullable(),
  endReason: z.string().nullable(),
  talked: z.boolean(),
  startedBy: z
    .enum(["look-in", "call", "answered-call"])
    .describe(
      "look-in: watched unannounced; call: answered the elder's call; answered-call: the elder answered the family's call",
    ),
});
export const viewLogReply = z.object({ items: z.array(viewLogEntry) });

export const viewerSummary = z.object({ viewerId: z.string(), displayName: z.string() });
