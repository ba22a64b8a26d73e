// What the route plugins share: one object per gateway instance, built in app.ts.
import type { FastifyBaseLogger } from "fastify";
import type { Database } from "../../core/database.ts";
import type { DatabaseProvider } from "../../core/database-url.ts";
import type { WangxiangBroker } from "../../broker/src/broker.ts";
import type { GatewayConfig } from "./config.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { AlertMonitor } from "./services/alert-monitor.ts";
import type { CommandDispatcher } from "./services/command-dispatcher.ts";
import type { DeviceIngest } from "./services/device-ingest.ts";
import type { DeviceStateTracker } from "./services/device-state.ts";
import type { LiveHub } from "./services/live-hub.ts";
import type { LiveViewService } from "./live-view/live-view-service.ts";
import type { Leadership } from "./services/cluster.ts";

export interface GatewayContext {
  config: GatewayConfig;
  db: Database;
  provider: DatabaseProvider;
  metrics: GatewayMetrics;
  hub: LiveHub;
  state: DeviceStateTracker;
  commands: CommandDispatcher;
  alerts: AlertMonitor;
  ingest: DeviceIngest;
  /** Present when the broker runs in this process. */
  broker: WangxiangBroker | null;
  /** Whether this gateway is the one handling device messages and periodic jobs (cluster mode). */
  leadership: Leadership;
  /** Drops the device's live MQTT session on whichever broker holds it (revocation, re-arm). */
  disconnectDevice(deviceId: string): Promise<void>;
  /** Live view (relay), once started. */
  liveView: LiveViewService | null;
  log: FastifyBaseLogger;
  /** A claimed camera's MQTT password as it is stored (HMAC under the deployment's key). */
  hashDeviceCredential(secret: string): string;
  /** The MQTT port cameras should use, once the broker listens. */
  mqttPort(): number;
  audit(actorId: string | null, action: string, subject: string, detail?: unknown): Promise<void>;
}
