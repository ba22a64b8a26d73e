// Decides whether a CONNECT gets in, and as whom. Every refusal uses CONNACK 5 "not authorized", whatever
// the cause (anonymous, unknown device, revoked, unclaimed, wrong password, will on a foreign topic,
// too many failures): one answer tells a guesser nothing. Two exceptions carry information the client
// can act on and an attacker cannot use: 2 "identifier rejected" when the client id is not the device id,
// and 3 "server unavailable" when the credential store could not be read (retry later).
import { createHash, timingSafeEqual } from "node:crypto";
import { verifySecret } from "../../core/secrets.ts";
import { deviceIdPattern } from "../../protocol/topics.ts";
import { mayUseWill, type ClientIdentity } from "./access.ts";
import type { AuthFailureLimiter } from "./rate-limits.ts";
import type { DeviceCredentialLookup } from "./credentials.ts";

export interface ConnectAttempt {
  address: string;
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  willTopic: string | undefined;
}

export type RefusalCause = "refused" | "rate-limited" | "lookup-failed";
export type AuthOutcome =
  | { ok: true; identity: ClientIdentity }
  | { ok: false; returnCode: 2 | 3 | 5; cause: RefusalCause; reason: string };

/** What was proven last time: this password opens this stored hash. A new hash (re-claim) misses. */
interface VerifiedCredential {
  storedHash: string;
  passwordDigest: Buffer;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest();

export class Authenticator {
  // Keyed by username. Saves the scrypt on reconnect storms (a broker restart brings every camera back at
  // once); the credential lookup still runs on every connect so a revocation in the database is seen.
  private readonly verified = new Map<string, VerifiedCredential>();
  // Bumped by forget(): an authentication that was in flight when a device was revoked must not succeed.
  private readonly epochs = new Map<string, number>();

  constructor(
    private readonly credentials: DeviceCredentialLookup,
    private readonly service: { username: string; passwordHash: string },
    private readonly failures: AuthFailureLimiter,
  ) {}

  async authenticate(attempt: ConnectAttempt): Promise<AuthOutcome> {
    const outcome = await this.decide(attempt);
    if (!outcome.ok && outcome.cause !== "lookup-failed") this.failures.recordFailure(attempt.address);
    return outcome;
  }

  /** Drops the cached verification and invalidates authentications of this device now in flight. */
  forget(deviceId: string): void {
    this.verified.delete(deviceId);
    this.epochs.set(deviceId, this.epochOf(deviceId) + 1);
  }

  /** True when the device was forgotten after this identity was authenticated. */
  isStale(identity: ClientIdentity): boolean {
    return identity.kind === "device" && identity.authEpoch !== this.epochOf(identity.deviceId);
  }

  clear(): void {
    this.verified.clear();
  }

  private async decide({ address, clientId, username, password, willTopic }: ConnectAttempt): Promise<AuthOutcome> {
    if (!username || !password || password.length === 0) return refuse("anonymous or no password");

    let identity: ClientIdentity;
    if (username === this.service.username) {
      // The service must not be able to take over a camera's session by borrowing its client id.
      if (deviceIdPattern.test(clientId)) return refuse("service client used a device id as client id", 2);
      identity = { kind: "service" };
    } else if (deviceIdPattern.test(username)) {
      if (clientId !== username) return refuse("client id differs from device id", 2);
      identity = { kind: "device", deviceId: username, authEpoch: this.epochOf(username) };
    } else {
      return refuse("unknown username");
    }
    if (willTopic !== undefined && !mayUseWill(identity, willTopic)) return refuse(`will on foreign topic ${willTopic}`);

    // During a cool-down only a credential already proven in this process gets in: it costs no scrypt and
    // cannot be guessed, and rural cameras often share one carrier-grade NAT address with a broken neighbour.
    const blocked = this.failures.isBlocked(address);
    if (blocked && !this.verified.has(username)) return refuse("too many authentication failures from this address", 5, "rate-limited");

    const stored = identity.kind === "service" ? this.service.passwordHash : await this.storedDeviceHash(identity.deviceId);
    if (typeof stored !== "string") return stored;

    const digest = sha256(password);
    const cached = this.verified.get(username);
    const cacheHit = cached !== undefined && cached.storedHash === stored && timingSafeEqual(cached.passwordDigest, digest);
    if (!cacheHit) {
      if (blocked) return refuse("too many authentication failures from this address", 5, "rate-limited");
      if (!(await verifySecret(password.toString("utf8"), stored))) return refuse("wrong password");
      this.verified.set(username, { storedHash: stored, passwordDigest: digest });
    }
    if (this.isStale(identity)) return refuse("device was disconnected while authenticating");
    return { ok: true, identity };
  }

  /** The device's credential hash, or the refusal when it may not connect at all. */
  private async storedDeviceHash(deviceId: string): Promise<string | AuthOutcome> {
    let record: Awaited<ReturnType<DeviceCredentialLookup["findDeviceCredential"]>>;
    try {
      record = await this.credentials.findDeviceCredential(deviceId);
    } catch (err) {
      return refuse(`credential lookup failed: ${(err as Error).message}`, 3, "lookup-failed");
    }
    if (!record) return this.refuseDevice(deviceId, "unknown device");
    if (record.claimState === "revoked") return this.refuseDevice(deviceId, "device revoked");
    if (!record.credentialHash) return this.refuseDevice(deviceId, "device has no credential yet");
    return record.credentialHash;
  }

  private refuseDevice(deviceId: string, reason: string): AuthOutcome {
    this.verified.delete(deviceId);
    return refuse(reason);
  }

  private epochOf(deviceId: string): number {
    return this.epochs.get(deviceId) ?? 0;
  }
}

function refuse(reason: string, returnCode: 2 | 3 | 5 = 5, cause: RefusalCause = "refused"): AuthOutcome {
  return { ok: false, returnCode, cause, reason };
}
