// Commands to cameras as request/response over MQTT: publish on devices/{id}/cmd with a response
// topic and correlation id, wait for the answer on that topic, give up after the timeout.
import type { Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import type {
  CommandRequestMessage,
  CommandResponseMessage,
  DeviceCommand,
} from "../../../protocol/device-messages.ts";
import { deviceCommandResponseTopic, deviceCommandTopic } from "../../../protocol/topics.ts";
import { DomainError } from "../../../protocol/errors.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { LiveHub } from "../events/live-hub.ts";
import { toCommandView } from "../http/views.ts";

type Publish = (topic: string, payload: string, options: { qos: 1; retain: false }) => Promise<void>;

interface Waiter {
  /** Only this camera may answer: a response with the right correlation id on another camera's topic is ignored. */
  deviceId: string;
  resolve(response: CommandResponseMessage | "shutting-down" | null): void;
  timer: NodeJS.Timeout;
}

function redactSecretParams(params: DeviceCommand["params"]): Record<string, unknown> {
  if ("token" in params) return { ...params, token: "(redacted)" };
  if ("uploadUrl" in params) return { ...params, uploadUrl: "(redacted)" };
  return params;
}

const shuttingDown = () =>
  new DomainError("shutting-down", { message: "the gateway is shutting down; try again in a moment" });

export class CommandDispatcher {
  private readonly waiting = new Map<string, Waiter>();
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly publish: Publish,
    private readonly hub: LiveHub,
    private readonly metrics: GatewayMetrics,
    private readonly timeoutMs: number,
  ) {}

  async send(deviceId: string, command: DeviceCommand, requestedBy: string) {
    if (this.stopping) throw shuttingDown();
    const device = await this.db.device.findUnique({
      where: { id: deviceId },
      select: { connection: true, claimState: true, householdId: true },
    });
    if (!device) throw new DomainError("not-found", { message: "camera not found" });
    if (device.claimState !== "claimed") throw new DomainError("camera-not-claimed");
    if (device.connection !== "online")
      throw new DomainError("camera-offline", { message: "the camera is offline; commands need it online" });

    const id = randomId("cmd_", 16);
    // The one-time publish token of stream-start and the upload URL of take-snapshot (its path holds a one-time
    // token) are secrets: they go to the camera, not into the command log.
    const loggedParams = redactSecretParams(command.params);
    await this.db.command.create({
      data: { id, deviceId, name: command.name, params: JSON.stringify(loggedParams), status: "pending", requestedBy },
    });
    const request = {
      name: command.name,
      params: command.params,
      correlationId: id,
      responseTopic: deviceCommandResponseTopic(deviceId),
      expiresAt: new Date(Date.now() + this.timeoutMs).toISOString(),
    } as CommandRequestMessage;
    const answered = new Promise<CommandResponseMessage | "shutting-down" | null>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, this.timeoutMs);
      this.waiting.set(id, { deviceId, resolve, timer });
    });
    try {
      await this.publish(deviceCommandTopic(deviceId), JSON.stringify(request), { qos: 1, retain: false });
    } catch (error) {
      this.settleWaiter(id);
      await this.finish(id, { status: "failed", error: "the gateway could not reach the broker" }, device.householdId);
      throw new DomainError("broker-unavailable");
    }
    const response = await answered;
    if (response === "shutting-down") {
      await this.finish(
        id,
        { status: "failed", error: "the gateway shut down before the camera answered" },
        device.householdId,
      );
      throw shuttingDown();
    }
    if (!response) {
      const view = await this.finish(id, { status: "timed-out", error: "camera did not answer" }, device.householdId);
      throw new DomainError("camera-did-not-answer", {
        message: `camera did not answer within ${Math.round(this.timeoutMs / 1000)} s`,
        details: { command: view },
      });
    }
    return this.finish(
      id,
      { status: response.ok ? "succeeded" : "failed", result: response.result, error: response.error },
      device.householdId,
    );
  }

  /**
   * A response arrived on a device's response topic. Every gateway of a cluster hears every response: the
   * one waiting for it answers its HTTP request; late answers are recorded by one gateway only (the leader).
   */
  async onResponse(
    deviceId: string,
    response: CommandResponseMessage,
    options: { recordLateAnswers: boolean } = { recordLateAnswers: true },
  ): Promise<void> {
    const waiter = this.waiting.get(response.correlationId);
    if (waiter?.deviceId === deviceId) {
      this.settleWaiter(response.correlationId);
      waiter.resolve(response);
      return;
    }
    if (!options.recordLateAnswers) return;
    // Late answer (after the timeout): keep the outcome, it is still the truth about the camera.
    const command = await this.db.command.findFirst({
      where: { id: response.correlationId, deviceId },
      select: { status: true, device: { select: { householdId: true } } },
    });
    if (command?.status === "timed-out") {
      await this.finish(
        response.correlationId,
        { status: response.ok ? "succeeded" : "failed", result: response.result, error: response.error ?? null },
        command.device.householdId,
      );
    }
  }

  /** Shutdown: new commands are refused, and every request still waiting for a camera is answered 503 now. */
  stop(): void {
    this.stopping = true;
    for (const [id, waiter] of this.waiting) {
      clearTimeout(waiter.timer);
      this.waiting.delete(id);
      waiter.resolve("shutting-down");
    }
  }

  private settleWaiter(id: string): void {
    const waiter = this.waiting.get(id);
    if (waiter) clearTimeout(waiter.timer);
    this.waiting.delete(id);
  }

  private async finish(
    id: string,
    outcome: { status: string; result?: Record<string, unknown>; error?: string | null },
    householdId: string | null,
  ) {
    const row = await this.db.command.update({
      where: { id },
      data: {
        status: outcome.status,
        result: outcome.result ? JSON.stringify(outcome.result) : null,
        error: outcome.error ?? null,
        finishedAt: new Date(),
      },
    });
    this.metrics.commands.inc({ name: row.name, status: outcome.status });
    const view = toCommandView(row);
    this.hub.publish({ type: "command.finished", command: view }, { deviceId: row.deviceId, householdId });
    return view;
  }
}
