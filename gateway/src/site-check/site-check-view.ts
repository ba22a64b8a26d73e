// A stored check as the API shows it, with the progress of one still running on this gateway.
import type { Prisma } from "../../../core/database.ts";

type SiteCheck = Prisma.SiteCheckGetPayload<object>;
import {
  siteCheckAdvice,
  siteCheckMeasurements,
  siteCheckVerdict,
  type SiteCheckView,
} from "../../../protocol/site-check.ts";
import { isErrorCode } from "../../../protocol/errors.ts";
import { z } from "zod";

export interface RunningCheck {
  id: string;
  deviceId: string;
  phase: "probing" | "streaming" | "judging";
  phaseStartedAt: number;
  probesDone: number;
  probes: number;
  streamS: number;
}

/** Share of the progress bar the round trips take; the stream takes the rest but the last step. */
const PROBING_SHARE = 0.1;
const STREAMING_SHARE = 0.85;

function progressOf(check: RunningCheck, now: number): number {
  if (check.phase === "probing") return (PROBING_SHARE * check.probesDone) / Math.max(1, check.probes);
  if (check.phase === "judging") return PROBING_SHARE + STREAMING_SHARE;
  const streamed = Math.min(1, (now - check.phaseStartedAt) / 1000 / check.streamS);
  return PROBING_SHARE + STREAMING_SHARE * streamed;
}

/** Stored JSON read back through its schema: a row written by an older version must not break the reply. */
function parsedJson<T>(schema: z.ZodType<T>, text: string | null, fallback: T): T {
  if (!text) return fallback;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : fallback;
  } catch {
    return fallback;
  }
}

export function toSiteCheckView(
  row: SiteCheck,
  running: RunningCheck | undefined,
  requestedByName: string | null = null,
  now = Date.now(),
): SiteCheckView {
  const live = running?.id === row.id && row.state === "running" ? running : undefined;
  const verdict = siteCheckVerdict.safeParse(row.verdict);
  return {
    id: row.id,
    deviceId: row.deviceId,
    householdId: row.householdId,
    requestedBy: row.requestedBy,
    requestedByName,
    state: row.state === "done" || row.state === "failed" ? row.state : "running",
    phase: live?.phase ?? null,
    progress: row.state === "running" ? (live ? progressOf(live, now) : 0) : 1,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    verdict: verdict.success ? verdict.data : null,
    advice: parsedJson(z.array(siteCheckAdvice), row.advice, []),
    measurements: parsedJson(siteCheckMeasurements.nullable(), row.measurements, null),
    error: isErrorCode(row.error) ? row.error : row.error ? "internal" : null,
  };
}
