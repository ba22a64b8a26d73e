// One camera behind the bridge, as a Wangxiang device: the device client does the wire (claim, MQTT, commands,
// stills upload, WHIP); this file supplies what only the camera knows. Where its stream and snapshot are (ONVIF,
// or the configured URLs), whether it is there at all (an RTSP DESCRIBE now and then, media/probe.ts, retried with
// backoff while it fails), its still (the snapshot URI, else a frame of the stream through ffmpeg where installed), its reboot
// (ONVIF SystemReboot, else an honest "not supported"), and whether it has a speaker for talk-back.
import { backoffDelayMs } from "../../device-client/src/backoff.ts";
import type { CameraStream, CameraStreamOptions } from "../../device-client/src/camera-stream.ts";
import type { CredentialsStore } from "../../device-client/src/credentials-store.ts";
import { createDevice, type Device } from "../../device-client/src/device.ts";
import type { Logger } from "../../device-client/src/log.ts";
import type { CameraHealth } from "../../protocol/index.ts";
import type { BridgeCameraConfig } from "./config.ts";
import { cameraHttp, type Account } from "./digest-auth.ts";
import { boxReadings } from "./box-readings.ts";
import { OnvifClient, type OnvifOutcome } from "./onvif.ts";
import { probeRtsp } from "./media/probe.ts";

/** Pulls the camera's RTSP and publishes it over WHIP (camera-bridge/src/media/, issue 19's media half). */
export type StartRtspStream = (
  source: {
    rtspUrl: string;
    account: Account | undefined;
    requestKeyframe: (() => void) | undefined;
    /** The camera's audio stopped reaching viewers mid-stream (the AAC transcoder ended). */
    onAudioOff: (reason: string) => void;
  },
  options: CameraStreamOptions,
) => Promise<CameraStream>;

export interface BridgedCameraOptions {
  camera: BridgeCameraConfig;
  gatewayUrl: string;
  store: CredentialsStore;
  log: Logger;
  probeIntervalS: number;
  startRtspStream: StartRtspStream;
  heartbeatIntervalS?: number;
  mqttUrl?: string;
  hostAddresses?: string[];
}

interface Sources {
  rtspUrl: string;
  snapshotUrl: string | undefined;
  /** The ONVIF profile the stream comes from (keyframe requests name it); none without ONVIF. */
  profile: string | undefined;
}

export class BridgedCamera {
  readonly device: Device;
  readonly #options: BridgedCameraOptions;
  readonly #account: Account | undefined;
  readonly #onvif: OnvifClient | null;
  #sources: Sources | null = null;
  #health: CameraHealth = { state: "unreachable", detail: "not checked yet" };
  #talkback = false;
  #failures = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: BridgedCameraOptions) {
    this.#options = options;
    const { camera } = options;
    this.#account = camera.username ? { username: camera.username, password: camera.password } : undefined;
    this.#onvif = camera.onvif ? new OnvifClient(camera.onvif, this.#account ?? { username: "", password: "" }) : null;
    this.device = createDevice({
      serial: camera.serial,
      claimCode: camera.claimCode,
      gatewayUrl: options.gatewayUrl,
      store: options.store,
      log: options.log,
      firmware: "bridge-1",
      ...(options.heartbeatIntervalS ? { heartbeatIntervalS: options.heartbeatIntervalS } : {}),
      ...(options.mqttUrl ? { mqttUrl: options.mqttUrl } : {}),
      media: {
        startStream: (streamOptions) => this.#startStream(streamOptions),
        ...(options.hostAddresses?.length ? { hostAddresses: options.hostAddresses } : {}),
      },
      readings: () => boxReadings(options.store.dir),
      takeStill: () => this.#takeStill(),
      // An IP camera has no Wangxiang call button: the app must not promise the elder can call or answer by one.
      capabilities: () => ({ talkback: this.#talkback, callButton: false }),
      rebootCommand: () => this.#reboot(),
    });
  }

  get health(): CameraHealth {
    return this.#health;
  }

  /** Checks the camera once (so the first "online" carries what it can do), then switches the device on. */
  async start(): Promise<void> {
    await this.#check();
    await this.device.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.device.stop();
  }

  async #check(): Promise<void> {
    const health = await this.#probe().catch((error: Error): CameraHealth => ({
      state: "unreachable",
      detail: error.message.slice(0, 200),
    }));
    if (this.#stopped) return;
    this.#health = health;
    this.device.reportCameraHealth(health);
    this.#failures = health.state === "ok" ? 0 : this.#failures + 1;
    this.#scheduleCheck();
  }

  /** Healthy: every probeIntervalS. Failing: sooner, backing off (full jitter) up to the same interval. */
  #scheduleCheck(): void {
    const intervalMs = this.#options.probeIntervalS * 1000;
    const delayMs =
      this.#failures === 0
        ? intervalMs
        : 250 + backoffDelayMs(this.#failures - 1, { baseMs: 1_000, capMs: intervalMs });
    this.#timer = setTimeout(() => void this.#check(), delayMs);
    this.#timer.unref();
  }

  async #probe(): Promise<CameraHealth> {
    const sources = await this.#resolveSources();
    if (!sources.ok) return healthOf(sources);
    const probe = await probeRtsp(sources.value.rtspUrl, this.#account);
    if (probe.result === "ok" && probe.talkback !== this.#talkback) {
      // Learnt after the device said "online" when the camera was off at boot: say it again, with talk-back.
      this.#talkback = probe.talkback;
      await this.device
        .refreshStatus()
        .catch((error: Error) => this.#options.log.warn({ err: error.message }, "status not refreshed"));
    }
    if (probe.result !== "ok") return { state: probe.result, detail: probe.detail.slice(0, 200) };
    // An AAC camera on a box without ffmpeg streams video only: staff and the log see why there is no sound.
    return probe.audioOff ? { state: "ok", detail: probe.audioOff.slice(0, 200) } : { state: "ok" };
  }

  /** The configured URLs, or ONVIF's (asked again until it answers: the camera may be off at boot). */
  async #resolveSources(): Promise<OnvifOutcome<Sources>> {
    if (this.#sources) return { ok: true, value: this.#sources };
    const { camera } = this.#options;
    if (!this.#onvif) {
      this.#sources = { rtspUrl: camera.rtsp!, snapshotUrl: camera.snapshot, profile: undefined };
      return { ok: true, value: this.#sources };
    }
    const profiles = await this.#onvif.profileTokens();
    if (!profiles.ok) return profiles;
    const profile = profiles.value[0]!;
    const stream = camera.rtsp ? { ok: true as const, value: camera.rtsp } : await this.#onvif.streamUri(profile);
    if (!stream.ok) return stream;
    const snapshot = camera.snapshot ?? (await this.#snapshotUri(profile));
    this.#sources = { rtspUrl: stream.value, snapshotUrl: snapshot, profile };
    this.#options.log.info({ profile, snapshot: snapshot !== undefined }, "camera found through ONVIF");
    return { ok: true, value: this.#sources };
  }

  async #snapshotUri(profile: string): Promise<string | undefined> {
    const snapshot = await this.#onvif!.snapshotUri(profile);
    return snapshot.ok ? snapshot.value : undefined;
  }

  #startStream(options: CameraStreamOptions): Promise<CameraStream> {
    if (this.#health.state !== "ok" || !this.#sources)
      return Promise.reject(new Error(`camera ${this.#health.state}: ${this.#health.detail ?? ""}`.trim()));
    const { rtspUrl, profile } = this.#sources;
    const requestKeyframe = this.#onvif && profile ? () => this.#requestKeyframe(profile) : undefined;
    const onAudioOff = (reason: string) => this.#options.log.warn({ reason }, "camera audio off");
    return this.#options.startRtspStream({ rtspUrl, account: this.#account, requestKeyframe, onAudioOff }, options);
  }

  /** ONVIF SetSynchronizationPoint: a joining viewer gets a keyframe now instead of at the camera's next one. */
  #requestKeyframe(profile: string): void {
    void this.#onvif!.synchronizationPoint(profile).then((reply) => {
      if (!reply.ok) this.#options.log.debug({ fault: reply.fault, detail: reply.detail }, "keyframe request refused");
    });
  }

  async #takeStill(): Promise<Buffer> {
    const sources = this.#sources;
    if (!sources) throw new Error(`camera ${this.#health.state}`);
    if (!sources.snapshotUrl) {
      // Loaded when needed: it pulls the stream with the media code (werift), which an idle bridge leaves out.
      const { frameFromStream } = await import("./ffmpeg-still.ts");
      return frameFromStream(sources.rtspUrl, this.#account);
    }
    const reply = await cameraHttp(sources.snapshotUrl, this.#account, { timeoutMs: 10_000 });
    if (reply.kind === "ok") return reply.body;
    if (reply.kind === "auth-failed") throw new Error("camera refused the account for its snapshot");
    if (reply.kind === "unreachable") throw new Error(`camera unreachable: ${reply.reason}`);
    throw new Error(`camera snapshot answered HTTP ${reply.status}`);
  }

  async #reboot(): Promise<Record<string, unknown>> {
    if (!this.#onvif) throw new Error("not supported: this camera is configured without ONVIF");
    const reply = await this.#onvif.systemReboot();
    if (!reply.ok) throw new Error(reply.fault === "not-supported" ? "not supported by this camera" : reply.detail);
    return { camera: "rebooting", message: reply.value.slice(0, 200) };
  }
}

function healthOf(failure: Extract<OnvifOutcome<unknown>, { ok: false }>): CameraHealth {
  const state =
    failure.fault === "unreachable" ? "unreachable" : failure.fault === "auth-failed" ? "auth-failed" : "no-stream";
  return { state, detail: failure.detail.slice(0, 200) };
}
