// The gateway's own MQTT client: reads every device topic, validates each payload with the shared
// schemas, and hands it on. A bad payload is dropped, counted and logged with the device id.
// With several gateways (cluster mode), only the ingest leader subscribes to status, telemetry and events;
// every gateway subscribes to command responses, since the gateway that sent a command waits for its answer.
import type { Database } from "../../../core/database.ts";
import {
  commandResponseMessage,
  deviceEventMessage,
  deviceStatusMessage,
  heartbeatMessage,
  parseJsonPayload,
} from "../../../protocol/device-messages.ts";
import { activityReportMessage, type ActivityReportMessage } from "../../../protocol/wellbeing.ts";
import { deviceCommandResponseTopic, gatewaySubscriptions, parseDeviceTopic } from "../../../protocol/topics.ts";
import type { Leadership } from "./cluster.ts";
import type { DeviceLink, DeviceLinkTarget } from "./device-link.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { CommandDispatcher } from "./command-dispatcher.ts";
import type { DeviceStateTracker } from "./device-state.ts";
import type { DeviceChange, HeartbeatWriter } from "./heartbeat-writer.ts";
import { recordCameraHealth, recordCapabilities } from "./camera-health.ts";
import type { LiveHub } from "../events/live-hub.ts";
import { elderHoldsPrivacy } from "../../../protocol/privacy.ts";

interface Logger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
}

export interface DeviceIngestOptions {
  /** The connection it reads from; started here, published on by other parts too. */
  link: DeviceLink;
  db: Database;
  state: DeviceStateTracker;
  heartbeats: HeartbeatWriter;
  commands: CommandDispatcher;
  hub: LiveHub;
  metrics: GatewayMetrics;
  log: Logger;
  onPrivacyChanged?(deviceId: string, enabled: boolean): void;
  /** The elder pressed the camera's call button. */
  onCallButton?(deviceId: string): Promise<void>;
  /** The elder declined a call home. */
  onCallDeclined?(deviceId: string): Promise<void>;
  /** A bridged camera is ok again: its camera alert resolves (alert-monitor.ts). */
  onCameraHealthy?(deviceId: string, at: Date): Promise<void>;
  /** Movement per minute from a camera (the wellbeing part stores it). */
  onActivity?(deviceId: string, report: ActivityReportMessage): Promise<unknown>;
  /** Whether this gateway handles device messages (always, unless several gateways share the fleet). */
  leadership: Leadership;
}

const responseSubscription = deviceCommandResponseTopic("+");
const ingestSubscriptions = gatewaySubscriptions.filter((topic) => topic !== responseSubscription);

export class DeviceIngest {
  /** After stop() nothing is handled: the embedded broker still delivers while it closes, to parts shutting down. */
  private stopped = false;
  private stopFollowingLeadership: () => void = () => {};
  /**
   * Over MQTT (not the embedded broker, which replays nothing): the devices whose status came live since the
   * last SUBACK. A retained status replayed after that is older than the live one: in a cluster the broker
   * reads the replay from Redis once the subscription is in place, and a status stored and published after
   * that read (a camera's will as the new ingest leader subscribes) is delivered live, and can reach the
   * gateway before the replayed "online" read just before it, which would otherwise undo it for good.
   * A status published after one delivered live is delivered live too, so nothing newer is dropped.
   */
  private liveStatuses: Set<string> | null = null;

  constructor(private readonly o: DeviceIngestOptions) {}

  get isConnected(): boolean {
    return this.o.link.isConnected;
  }

  /** Connects the link and reads every device topic (in a cluster, the leader's share of them). */
  async start(target: DeviceLinkTarget): Promise<void> {
    const embedded = "embedded" in target;
    // On becoming leader, the subscription replays every retained status: the database catches up with
    // whatever happened while no gateway (or another one) was listening.
    if (!embedded) this.stopFollowingLeadership = this.o.leadership.events.on("change", this.onLeadershipChange);
    if (!embedded) this.liveStatuses = new Set();
    await this.o.link.connect(target, {
      onMessage: (topic, payload, retained) => this.route(topic, payload, retained),
      topicsOnConnect: () =>
        embedded || this.o.leadership.isLeader ? [...gatewaySubscriptions] : [responseSubscription],
      // Live statuses from before this SUBACK were published before the replay was read: it has them, or newer.
      onSubscribed: () => this.liveStatuses?.clear(),
    });
  }

  private readonly onLeadershipChange = (leader: boolean) => {
    const done = (error?: Error | null) =>
      error && this.o.log.error({ err: error }, leader ? "subscribe failed" : "unsubscribe failed");
    // Not connected: the next connection subscribes according to the role.
    if (leader) this.o.link.subscribe(ingestSubscriptions, done);
    else {
      this.liveStatuses?.clear();
      this.o.link.unsubscribe(ingestSubscriptions, done);
    }
  };

  /** Privacy or firmware known from elsewhere (a command's answer): stored in order with heartbeats, like events. */
  applyDeviceChange(deviceId: string, change: DeviceChange): Promise<void> {
    return this.o.heartbeats.applyDeviceChange(deviceId, change);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopFollowingLeadership();
    await this.o.link.close();
  }

  private route(topic: string, payload: Buffer, retained: boolean): void {
    if (this.stopped) return;
    const parsedTopic = parseDeviceTopic(topic);
    if (!parsedTopic) return;
    const { deviceId, kind } = parsedTopic;
    const leader = this.o.leadership.isLeader;
    // Messages already on their way when leadership moved: the new leader has them (or their retained state).
    if (!leader && kind !== "cmd/response") return;
    const receivedAt = new Date();
    this.o.metrics.mqttMessages.inc({ kind });
    // No named closures made per message: tsx names each one it creates (~4% of the loop at 10,000 heartbeats/s).

    switch (kind) {
      case "status": {
        if (!retained) this.liveStatuses?.add(deviceId);
        else if (this.liveStatuses?.has(deviceId)) return; // a replay older than what came live (liveStatuses)
        if (payload.length === 0) return; // a cleared retained message
        const m = parseJsonPayload(deviceStatusMessage, payload);
        if (!m.ok) return this.rejectPayload(deviceId, topic, kind, m.reason);
        const reason = retained && m.value.state === "online" ? "gateway-resync" : (m.value.reason ?? null);
        this.o.state
          .applyStatus(
            deviceId,
            { state: m.value.state, reason, session: m.value.session, firmware: m.value.firmware },
            receivedAt,
          )
          .catch((error: unknown) => this.logFailure(deviceId, topic, error));
        if (m.value.capabilities)
          recordCapabilities(this.o.db, deviceId, m.value.capabilities).catch((error: unknown) =>
            this.logFailure(deviceId, topic, error),
          );
        return;
      }
      case "telemetry": {
        const m = parseJsonPayload(heartbeatMessage, payload);
        if (!m.ok) return this.rejectPayload(deviceId, topic, kind, m.reason);
        this.o.heartbeats.add({ deviceId, heartbeat: m.value, receivedAt });
        this.o.state
          .noteHeartbeat(deviceId, receivedAt)
          ?.catch((error: unknown) => this.logFailure(deviceId, topic, error));
        return;
      }
      case "events": {
        const m = parseJsonPayload(deviceEventMessage, payload);
        if (!m.ok) return this.rejectPayload(deviceId, topic, kind, m.reason);
        this.handleEvent(deviceId, m.value, receivedAt).catch((error: unknown) =>
          this.logFailure(deviceId, topic, error),
        );
        return;
      }
      case "activity": {
        const m = parseJsonPayload(activityReportMessage, payload);
        if (!m.ok) return this.rejectPayload(deviceId, topic, kind, m.reason);
        this.o.onActivity?.(deviceId, m.value).catch((error: unknown) => this.logFailure(deviceId, topic, error));
        return;
      }
      case "cmd/response": {
        const m = parseJsonPayload(commandResponseMessage, payload);
        if (!m.ok) return this.rejectPayload(deviceId, topic, kind, m.reason);
        this.o.commands
          .onResponse(deviceId, m.value, { recordLateAnswers: leader })
          .catch((error: unknown) => this.logFailure(deviceId, topic, error));
        return;
      }
      case "cmd":
        return; // our own commands echoed back by the wildcard: nothing to do
    }
  }

  private rejectPayload(deviceId: string, topic: string, kind: string, reason: string): void {
    this.o.metrics.mqttInvalidPayloads.inc({ kind });
    this.o.log.warn({ deviceId, topic, reason: reason.slice(0, 300) }, "dropped invalid device payload");
  }

  private logFailure(deviceId: string, topic: string, error: unknown): void {
    this.o.log.error({ deviceId, topic, err: error }, "could not handle device message");
  }

  private async handleEvent(
    deviceId: string,
    event: import("../../../protocol/device-messages.ts").DeviceEventMessage,
    receivedAt: Date,
  ): Promise<void> {
    const detail = JSON.stringify(event);
    // Through the heartbeat writer, in arrival order: a heartbeat still waiting for its batch must not undo this.
    if (event.type === "privacy-changed") {
      this.o.onPrivacyChanged?.(deviceId, event.enabled);
      await this.o.heartbeats.applyDeviceChange(deviceId, { privacy: event.enabled });
      // Privacy the elder switched on at the camera is theirs to end (protocol/privacy.ts).
      const byElder = event.enabled && event.source === "button";
      const device = await this.o.db.device.update({
        where: { id: deviceId },
        data: { privacyByElder: byElder },
        select: { privacy: true, privacyByElder: true, privacyUntil: true, householdId: true },
      });
      this.o.hub.publish(
        {
          type: "device.privacy",
          deviceId,
          at: event.at,
          privacy: event.enabled,
          privacyByElder: elderHoldsPrivacy(device),
        },
        { deviceId, householdId: device.householdId, insideHome: true },
      );
    }
    if (event.type === "camera-health") {
      const { db, hub } = this.o;
      const onHealthy = this.o.onCameraHealthy ?? (async () => {});
      await recordCameraHealth({ db, hub, onHealthy }, deviceId, event, receivedAt);
    }
    if (event.type === "call-button") await this.o.onCallButton?.(deviceId);
    if (event.type === "call-declined") await this.o.onCallDeclined?.(deviceId);
    if (event.type === "firmware-updated") await this.o.heartbeats.applyDeviceChange(deviceId, { firmware: event.to });
    await this.o.db.auditEntry.create({ data: { action: `device.${event.type}`, subject: deviceId, detail } });
  }
}
