// The installer's site check as the composition root builds it: command round trips, and a stream measured
// through the relay when live view is on.
import type { FastifyBaseLogger } from "fastify";
import type { Database } from "../../../core/database.ts";
import { DomainError } from "../../../protocol/errors.ts";
import type { GatewayConfig } from "../config.ts";
import type { LiveViewService } from "../live-view/live-view-service.ts";
import { SiteCheckService, type SiteCheckServiceOptions } from "./site-check-service.ts";

interface SiteCheckParts {
  db: Database;
  log: FastifyBaseLogger;
  sendCommand: SiteCheckServiceOptions["sendCommand"];
  liveView: LiveViewService | null;
}

export function createSiteChecks(config: GatewayConfig, { db, log, sendCommand, liveView }: SiteCheckParts) {
  return new SiteCheckService({
    db,
    log,
    streamS: config.SITE_CHECK_STREAM_S,
    sendCommand,
    measureUplink: (deviceId, durationS, onMeasuring) => {
      if (!liveView)
        return Promise.reject(
          new DomainError("relay-failed", { message: "live view (the relay) is off on this server" }),
        );
      return liveView.measureUplink(deviceId, durationS, onMeasuring);
    },
  });
}
