// What the camera keeps in flash (serial, claim code, firmware, privacy, credentials) and the first-boot
// claim that fills in the credentials. The state file is written whenever one of those changes.
import type { BackoffPolicy } from "./backoff.ts";
import type { DeviceRefusal } from "./device-types.ts";
import { claimDevice, type ClaimReply } from "./claim.ts";
import type { CameraStateFile, CredentialsStore } from "./credentials-store.ts";
import type { Logger } from "./log.ts";

export interface CameraIdentityOptions {
  serial: string;
  claimCode: string;
  store: CredentialsStore;
  /** Firmware of a camera fresh from the factory; a stored (updated) version wins. */
  factoryFirmware: string;
}

export interface ClaimStepOptions {
  gatewayUrl: string;
  backoff: BackoffPolicy;
  random: () => number;
  log: Logger;
  signal: AbortSignal;
  fetch?: typeof fetch;
  /** Told how many claim requests were sent, whatever the outcome. */
  countRequests(attempts: number): void;
}

export type ClaimStepOutcome =
  { kind: "ready"; credentials: ClaimReply } | { kind: "refused"; refusal: DeviceRefusal } | { kind: "aborted" };

export class CameraIdentity {
  readonly serial: string;
  readonly claimCode: string;
  firmware: string;
  privacy = false;
  credentials: ClaimReply | null = null;
  readonly #store: CredentialsStore;

  constructor(options: CameraIdentityOptions) {
    this.serial = options.serial;
    this.claimCode = options.claimCode;
    this.firmware = options.factoryFirmware;
    this.#store = options.store;
  }

  /**
   * Reads the state file at boot. A camera without one writes its factory identity at once, so a restart
   * before the claim finishes keeps the serial. A corrupt file counts as none.
   */
  async load(log: Logger, signal: AbortSignal): Promise<void> {
    let stored: CameraStateFile | null = null;
    try {
      stored = await this.#store.load(this.serial);
    } catch (error) {
      // Corrupt flash: behave like a camera fresh from the factory.
      log.error({ err: (error as Error).message }, "state file unreadable, starting as unclaimed");
    }
    if (signal.aborted) return;
    if (stored) {
      this.firmware = stored.firmware;
      this.privacy = stored.privacy;
    }
    this.credentials = stored?.credentials ?? null;
    if (!stored) await this.persist();
  }

  async persist(claimedAt?: string): Promise<void> {
    const existing = await this.#store.load(this.serial).catch(() => null);
    const { serial, claimCode, firmware, privacy, credentials } = this;
    await this.#store.save({
      serial,
      claimCode,
      firmware,
      privacy,
      credentials,
      claimedAt: credentials ? (claimedAt ?? existing?.claimedAt ?? new Date().toISOString()) : null,
    });
  }

  persistInBackground(log: Logger): void {
    this.persist().catch((error) => log.error({ err: (error as Error).message }, "could not write state file"));
  }

  /** Factory reset: the state file goes, and with it the credentials and the privacy setting. */
  async wipe(): Promise<void> {
    await this.#store.remove(this.serial);
    this.credentials = null;
    this.privacy = false;
  }

  /** Ensures credentials: the stored ones, or a claim (retried with backoff until refused or aborted). */
  async claimIfNeeded(options: ClaimStepOptions): Promise<ClaimStepOutcome> {
    if (this.credentials) return { kind: "ready", credentials: this.credentials };
    const { gatewayUrl, backoff, random, log, signal } = options;
    const outcome = await claimDevice({
      gatewayUrl,
      serial: this.serial,
      claimCode: this.claimCode,
      signal,
      log,
      random,
      backoff,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    options.countRequests(outcome.attempts);
    if (outcome.kind === "aborted" || signal.aborted) return { kind: "aborted" };
    if (outcome.kind === "refused") {
      const { httpStatus, error, message } = outcome;
      log.error({ httpStatus, error, message }, "claim refused; not retrying until next boot");
      return { kind: "refused", refusal: { stage: "claim", code: error, message, httpStatus } };
    }
    this.credentials = outcome.reply;
    await this.persist(new Date().toISOString());
    if (signal.aborted) return { kind: "aborted" };
    log.info({ deviceId: outcome.reply.deviceId }, "claimed");
    return { kind: "ready", credentials: outcome.reply };
  }
}
