// What the camera does with a message on devices/{id}/cmd: parse it, drop it when expired, run it once
// however often QoS 1 delivers it (a repeat is answered again with the first answer), and answer on the
// command's response topic. Rebooting, privacy, the stream and the light belong to the camera; this part
// only decides which of them a command asks for.
import type {
  CommandRequestMessage,
  CommandResponseMessage,
  DeviceCommand,
  DeviceEventMessage,
} from "../../protocol/index.ts";
import type { StreamControl } from "./stream-control.ts";
import type { DeviceCounters } from "./device-types.ts";
import { parseCommand } from "./commands.ts";
import { downloadFirmware } from "./firmware.ts";
import type { Logger } from "./log.ts";
import type { StillUploader } from "./stills.ts";

type Answer = Omit<CommandResponseMessage, "correlationId">;
type StreamStart = Extract<DeviceCommand, { name: "stream-start" }>["params"];
type FirmwareUpdate = Extract<DeviceCommand, { name: "firmware-update" }>["params"];

/** Publishes a command response on a topic (the MQTT session the command arrived on). */
export type Respond = (topic: string, response: CommandResponseMessage) => Promise<void>;

export interface CommandHandlerDeps {
  log(): Logger;
  counters: DeviceCounters;
  /** The camera's firmware version and the flash it is kept in. */
  firmware: { get(): string; set(version: string): void; persist(): Promise<void> };
  privacy(): boolean;
  /** Must set the flag `privacy()` reads before its first await (the privacy command relies on it). */
  setPrivacy(enabled: boolean, source: "command"): Promise<void>;
  reboot(): Promise<void>;
  /** The reboot command done the device's own way (answered with its result or its error); absent: reboot(). */
  rebootCommand?(): Promise<Record<string, unknown>>;
  publishEvent(event: DeviceEventMessage): Promise<void>;
  media: Pick<StreamControl, "startStream" | "stopStream" | "notice" | "siteCheckStream">;
  /** What the camera's own clock says now (its RTC may be off: the on-site check measures the skew). */
  clock(): Date;
  /** The Wi-Fi signal now, dBm. */
  rssi(): number | null;
  /** Plays a call's ring, ring-back or "answered by" (call-panel.ts). */
  callStatus(status: Extract<DeviceCommand, { name: "call-status" }>["params"]): void;
  /** Says something to the elder (a privacy request, auto-answer changed): the call panel's speaker and screen. */
  elderNotice(notice: Extract<DeviceCommand, { name: "elder-notice" }>["params"]): void;
  /** Takes a still and PUTs it to the one-time upload URL (stills.ts). */
  stills: Pick<StillUploader, "post">;
  /** The household's consent to movement levels in privacy mode (activity-meter.ts). */
  setActivityInPrivacy?(allowed: boolean): void;
  fetch?: typeof fetch;
}

/** QoS 1 repeats come soon after the first delivery; a hundred remembered answers is plenty. */
const rememberedCommands = 100;

export class CommandHandler {
  readonly #deps: CommandHandlerDeps;
  /** Recently executed commands by correlationId; null while the first delivery is still running. */
  readonly #recent = new Map<string, CommandResponseMessage | null>();
  #updatingFirmware = false;

  constructor(deps: CommandHandlerDeps) {
    this.#deps = deps;
  }

  async handle(payload: Buffer | string, respond: Respond, signal: AbortSignal): Promise<void> {
    const { counters } = this.#deps;
    const log = this.#deps.log();
    const parsed = parseCommand(payload);
    if (parsed.kind === "invalid") return this.#refuseInvalid(parsed.reason, parsed.replyTo, respond);
    const command = parsed.command;
    if (parsed.kind === "expired") {
      counters.expiredCommands += 1;
      log.info(
        { name: command.name, correlationId: command.correlationId, expiresAt: command.expiresAt },
        "command expired, dropped",
      );
      return;
    }
    if (this.#recent.has(command.correlationId)) {
      counters.duplicateCommands += 1;
      const earlier = this.#recent.get(command.correlationId);
      if (earlier) await respond(command.responseTopic, earlier).catch(() => {});
      return;
    }
    this.#remember(command.correlationId, null);
    log.info({ name: command.name, correlationId: command.correlationId }, "command");
    try {
      await this.#execute(command, this.#answerer(command, respond), signal);
      counters.commandsHandled += 1;
    } catch (error) {
      log.warn({ name: command.name, err: (error as Error).message }, "command did not complete");
    }
  }

  async #refuseInvalid(
    reason: string,
    replyTo: { correlationId: string; responseTopic: string } | null,
    respond: Respond,
  ) {
    this.#deps.counters.invalidCommands += 1;
    const log = this.#deps.log();
    log.warn({ reason, correlationId: replyTo?.correlationId }, "invalid command");
    if (!replyTo) return;
    const response = {
      correlationId: replyTo.correlationId,
      ok: false,
      error: `invalid command: ${reason}`.slice(0, 500),
    };
    await respond(replyTo.responseTopic, response).catch((error) =>
      log.warn({ err: (error as Error).message }, "could not answer invalid command"),
    );
  }

  #remember(correlationId: string, response: CommandResponseMessage | null) {
    this.#recent.set(correlationId, response);
    if (this.#recent.size > rememberedCommands) this.#recent.delete(this.#recent.keys().next().value!);
  }

  #answerer(command: CommandRequestMessage, respond: Respond) {
    return async (answer: Answer) => {
      const full = { correlationId: command.correlationId, ...answer };
      this.#recent.set(command.correlationId, full);
      await respond(command.responseTopic, full);
    };
  }

  async #execute(command: CommandRequestMessage, answer: (answer: Answer) => Promise<void>, signal: AbortSignal) {
    const { media } = this.#deps;
    switch (command.name) {
      case "reboot":
        if (this.#deps.rebootCommand) return this.#rebootOwnWay(this.#deps.rebootCommand, answer);
        await answer({ ok: true, result: {} });
        return this.#deps.reboot();
      case "privacy": {
        // Started before the answer (setPrivacy sets the flag before its first await): a stream-start the gateway
        // sends the moment it hears "ok" must already find privacy on.
        const { enabled } = command.params;
        await Promise.all([
          this.#deps.setPrivacy(enabled, "command"),
          answer({ ok: true, result: { privacy: enabled } }),
        ]);
        return;
      }
      case "firmware-update":
        return this.#updateFirmware(command.params, answer, signal);
      case "stream-start":
        return this.#startStream(command.params, answer);
      case "stream-stop":
        await media.stopStream(command.params.reason);
        return answer({ ok: true, result: {} });
      case "view-notice":
        await answer({ ok: true, result: {} });
        return media.notice(command.params.viewers);
      case "call-status":
        this.#deps.callStatus(command.params);
        return answer({ ok: true, result: {} });
      case "clock-probe":
        return answer({ ok: true, result: { at: this.#deps.clock().toISOString(), rssi: this.#deps.rssi() } });
      case "site-check":
        return this.#startStream(command.params, answer, (params) => media.siteCheckStream(params));
      case "take-snapshot":
        return this.#takeSnapshot(command.params, answer, signal);
      case "elder-notice":
        this.#deps.elderNotice(command.params);
        return answer({ ok: true, result: {} });
      case "activity-settings":
        this.#deps.setActivityInPrivacy?.(command.params.inPrivacy);
        return answer({ ok: true, result: { inPrivacy: command.params.inPrivacy } });
    }
  }

  async #rebootOwnWay(reboot: () => Promise<Record<string, unknown>>, answer: (answer: Answer) => Promise<void>) {
    try {
      await answer({ ok: true, result: await reboot() });
    } catch (error) {
      await answer({ ok: false, error: `reboot: ${(error as Error).message}`.slice(0, 500) });
    }
  }

  /** Privacy mode means no stills. The answer comes after the upload's, so the gateway has stored it by then. */
  async #takeSnapshot(
    params: Extract<DeviceCommand, { name: "take-snapshot" }>["params"],
    answer: (answer: Answer) => Promise<void>,
    signal: AbortSignal,
  ) {
    const { counters } = this.#deps;
    if (this.#deps.privacy()) {
      counters.stillsRefused += 1;
      return answer({ ok: false, error: "privacy mode is on" });
    }
    try {
      const posted = await this.#deps.stills.post(params, signal);
      counters.stillsPosted += 1;
      await answer({ ok: true, result: posted });
    } catch (error) {
      counters.stillsRefused += 1;
      await answer({ ok: false, error: `still not posted: ${(error as Error).message}`.slice(0, 500) });
    }
  }

  async #startStream<P extends StreamStart>(
    params: P,
    answer: (answer: Answer) => Promise<void>,
    start: (params: P) => Promise<{ resourceUrl: string }> = (p) => this.#deps.media.startStream(p),
  ) {
    if (this.#deps.privacy()) return answer({ ok: false, error: "privacy mode is on" });
    try {
      await answer({ ok: true, result: await start(params) });
    } catch (error) {
      await answer({ ok: false, error: `stream did not start: ${(error as Error).message}`.slice(0, 500) });
    }
  }

  /** Download, check the SHA-256, keep the new version, answer, announce, then reboot into it. */
  async #updateFirmware(params: FirmwareUpdate, answer: (answer: Answer) => Promise<void>, signal: AbortSignal) {
    if (this.#updatingFirmware) return answer({ ok: false, error: "busy: a firmware update is already in progress" });
    const { firmware, fetch } = this.#deps;
    const log = this.#deps.log();
    this.#updatingFirmware = true;
    try {
      const { url, sha256, version } = params;
      const download = await downloadFirmware(url, sha256, { signal, ...(fetch ? { fetch } : {}) });
      if (signal.aborted) return;
      if (!download.ok) {
        log.warn({ url, error: download.error }, "firmware update rejected");
        return answer({ ok: false, error: download.error });
      }
      const from = firmware.get();
      firmware.set(version);
      await firmware.persist();
      log.info({ from, to: version, bytes: download.bytes }, "firmware verified, rebooting into it");
      await answer({ ok: true, result: { from, to: version } });
      await this.#deps.publishEvent({ type: "firmware-updated", at: new Date().toISOString(), from, to: version });
    } finally {
      this.#updatingFirmware = false;
    }
    await this.#deps.reboot();
  }
}
