// Calls as the composition root builds them: Web Push, the family's notices and the call service, each handed
// the functions of other parts it uses (the commands it sends, the live view it grants, the cuts it asks for).
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { AuditLog } from "../access/audit.ts";
import type { Database } from "../../../core/database.ts";
import { DomainError } from "../../../protocol/errors.ts";
import type { GatewayConfig } from "../config.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { LiveViewCuts } from "../live-view/cluster-cuts.ts";
import type { LiveViewService } from "../live-view/live-view-service.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { Notifier } from "../notify/notifier.ts";
import { callsPlugin } from "./call-routes.ts";
import { CallService, type CallServiceOptions } from "./call-service.ts";
import { FamilyNotices } from "./family-notices.ts";
import { householdCallSettingsPlugin } from "./household-settings-routes.ts";
import { PushEndpointPolicy } from "./push-endpoints.ts";
import { WebPush } from "./web-push.ts";

interface Base {
  db: Database;
  metrics: GatewayMetrics;
  log: FastifyBaseLogger;
}

export function createPush(config: GatewayConfig, { db, metrics, log }: Base, ca: string | Buffer | undefined) {
  const endpoints = new PushEndpointPolicy(config.PUSH_SERVICE_HOSTS);
  return new WebPush({ db, metrics, log, subject: config.PUSH_CONTACT, endpoints, ca });
}

interface CallParts extends Base {
  hub: LiveHub;
  push: WebPush;
  notifier: Pick<Notifier, "sms">;
  sendCommand: CallServiceOptions["sendCommand"];
  onFromHomeCall: CallServiceOptions["onFromHomeCall"];
  liveView: LiveViewService | null;
  cuts: LiveViewCuts;
}

export function createCalls(config: GatewayConfig, parts: CallParts) {
  const { db, hub, push, metrics, log, sendCommand, liveView, cuts } = parts;
  const notices = new FamilyNotices({
    db,
    hub,
    push,
    metrics,
    log,
    offlineAfterMs: config.FAMILY_NOTICE_OFFLINE_S * 1000,
    notifier: parts.notifier,
  });
  const calls = new CallService({
    db,
    hub,
    push,
    metrics,
    log,
    ringMs: config.CALL_RING_S * 1000,
    onFromHomeCall: parts.onFromHomeCall,
    sendCommand,
    setPrivacy: async (deviceId, enabled) => {
      await sendCommand(deviceId, { name: "privacy", params: { enabled } }, "calls");
      if (enabled) await cuts.privacyEnabled(deviceId);
    },
    grantView: (user, deviceId, startedBy, callId) => {
      if (!liveView)
        return Promise.reject(new DomainError("not-found", { message: "live view is not enabled on this server" }));
      return liveView.grantView(user, deviceId, startedBy, callId);
    },
    isWatched: (deviceId) => liveView?.holdsStream(deviceId) ?? false,
    onCallEnded: (callId) => void liveView?.recheckViews({ callId }),
    unwatchedEndMs: config.CALL_UNWATCHED_END_S * 1000,
  });
  liveView?.events.on("stream-stopped", (deviceId) => calls.onStreamStopped(deviceId));
  return { calls, notices };
}

/** Calls home and from home, and each household's call settings (call window, notices). */
export async function registerCallRoutes(
  api: FastifyInstance,
  {
    db,
    audit,
    calls,
    push,
    notices,
  }: { db: Database; audit: AuditLog; calls: CallService; push: WebPush; notices: FamilyNotices },
): Promise<void> {
  await api.register(callsPlugin, { db, calls, push, audit });
  await api.register(householdCallSettingsPlugin, { db, audit, notices });
}
