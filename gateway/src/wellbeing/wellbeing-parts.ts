// Wellbeing as the composition root builds it: people hear through the open app, Web Push and (for questions
// to answer) SMS.
import type { FastifyBaseLogger } from "fastify";
import type { Database } from "../../../core/database.ts";
import type { GatewayConfig } from "../config.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { Notifier } from "../notify/notifier.ts";
import { liveChannel, pushChannel, smsChannel, WellbeingNotifier } from "./wellbeing-notify.ts";
import { WellbeingService, type WellbeingServiceOptions } from "./wellbeing-service.ts";

interface WellbeingParts {
  db: Database;
  hub: LiveHub;
  log: FastifyBaseLogger;
  push: Parameters<typeof pushChannel>[0];
  notifier: Pick<Notifier, "sms">;
  reachableMembers: Parameters<typeof smsChannel>[0]["reachableMembers"];
  sendCommand: WellbeingServiceOptions["sendCommand"];
  /** The wellbeing clock (tests run weeks of days in seconds). */
  clock: (() => Date) | undefined;
}

export function createWellbeing(config: GatewayConfig, parts: WellbeingParts): WellbeingService {
  const { db, hub, log, push, notifier, reachableMembers, sendCommand, clock } = parts;
  const sms = smsChannel({ db, notifier, reachableMembers });
  return new WellbeingService({
    db,
    notifier: new WellbeingNotifier([liveChannel(hub), pushChannel(push), sms], log),
    log,
    sendCommand,
    ...(clock ? { clock } : {}),
    policy: {
      escalateAfterMs: config.WELLBEING_ESCALATE_AFTER_MIN * 60_000,
      checkEveryMs: config.WELLBEING_CHECK_INTERVAL_S * 1000,
      retentionMs: config.WELLBEING_RETENTION_DAYS * 86_400_000,
    },
  });
}
