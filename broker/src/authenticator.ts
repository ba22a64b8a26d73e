// Decides whether a CONNECT gets in, and as whom. Every refusal uses CONNACK 5 "not authorized", whatever
// the cause (anonymous, unknown device, revoked, unclaimed, wrong password, will on a foreign topic,
// too many failures): one answer tells a guesser nothing. Two exceptions carry information the client
// can act on and an attacker cannot use: 2 "identifier rejected" when the client id is not the device id,
// and 3 "server unavailable" when the credential store could not be read or the client's address is over
// its connection rate (retry later).
//
// A device's CONNECT costs a map lookup and one HMAC (see credential-index.ts); the database is asked only
// about a device the index does not know (claimed since the last load). A hash from before HMAC (scrypt) is
// verified once more and replaced, in the database and the index.
import { createHash, timingSafeEqual } from "node:crypto";
import { DeviceCredentialHasher, isScryptHash } from "../../core/device-credentials.ts";
import { verifySecret } from "../../core/secrets.ts";
import { deviceIdPattern } from "../../protocol/topics.ts";
import { mayUseWill, type ClientIdentity } from "./access.ts";
import { CredentialIndex, type DeviceCredentialLookup } from "./credential-index.ts";
import type { AuthFailureLimiter } from "./rate-limits.ts";

export interface ConnectAttempt {
  address: string;
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  willTopic: string | undefined;
  /** The connection came in over its address's rate: only a credential already proven here may use it. */
  overRate?: boolean;
}

export type RefusalCause = "refused" | "rate-limited" | "over-connection-rate" | "lookup-failed";
export type AuthOutcome =
  { ok: true; identity: ClientIdentity } | { ok: false; returnCode: 2 | 3 | 5; cause: RefusalCause; reason: string };

export interface AuthenticatorOptions {
  store: DeviceCredentialLookup;
  index: CredentialIndex;
  hasher: DeviceCredentialHasher;
  /** The gateways' own user; its password hash is scrypt (it is a configured secret, not a random one). */
  service: { username: string; passwordHash: string };
  failures: AuthFailureLimiter;
  onUpgradeFailed?(deviceId: string, error: Error): void;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest();
const refusedQuietly: ReadonlySet<RefusalCause> = new Set(["lookup-failed", "over-connection-rate"]);

export class Authenticator {
  // Bumped by forget(): an authentication that was in flight when a device was revoked must not succeed.
  private readonly epochs = new Map<string, number>();
  /** SHA-256 of the service password once proven: the gateways reconnect without another scrypt. */
  private provenServiceDigest: Buffer | null = null;

  constructor(private readonly o: AuthenticatorOptions) {}

  async authenticate(attempt: ConnectAttempt): Promise<AuthOutcome> {
    const outcome = await this.decide(attempt);
    if (!outcome.ok && !refusedQuietly.has(outcome.cause)) this.o.failures.recordFailure(attempt.address);
    return outcome;
  }

  /** Drops the device from the index and invalidates authentications of this device now in flight. */
  forget(deviceId: string): void {
    this.o.index.delete(deviceId);
    this.epochs.set(deviceId, this.epochOf(deviceId) + 1);
  }

  /** True when the device was forgotten after this identity was authenticated. */
  isStale(identity: ClientIdentity): boolean {
    return identity.kind === "device" && identity.authEpoch !== this.epochOf(identity.deviceId);
  }

  clear(): void {
    this.provenServiceDigest = null;
    this.epochs.clear();
  }

  private async decide(attempt: ConnectAttempt): Promise<AuthOutcome> {
    const { clientId, username, password, willTopic } = attempt;
    if (!username || !password || password.length === 0) return refuse("anonymous or no password");
    let identity: ClientIdentity;
    if (username === this.o.service.username) {
      // The service must not be able to take over a camera's session by borrowing its client id.
      if (deviceIdPattern.test(clientId)) return refuse("service client used a device id as client id", 2);
      identity = { kind: "service" };
    } else if (deviceIdPattern.test(username)) {
      if (clientId !== username) return refuse("client id differs from device id", 2);
      identity = { kind: "device", deviceId: username, authEpoch: this.epochOf(username) };
    } else {
      return refuse("unknown username");
    }
    if (willTopic !== undefined && !mayUseWill(identity, willTopic))
      return refuse(`will on foreign topic ${willTopic}`);
    return identity.kind === "service"
      ? this.checkService(attempt, password)
      : this.checkDevice(attempt, identity, password);
  }

  /**
   * During a cool-down (too many failures from the address, or a connection over its address's rate) only a
   * credential already proven here gets in: it cannot be guessed, and rural cameras often share one
   * carrier-grade NAT address with a broken or hostile neighbour.
   */
  private restriction(attempt: ConnectAttempt): AuthOutcome | null {
    if (this.o.failures.isBlocked(attempt.address))
      return refuse("too many authentication failures from this address", 5, "rate-limited");
    if (attempt.overRate)
      return refuse("too many connections from this address; retry later", 3, "over-connection-rate");
    return null;
  }

  private async checkDevice(
    attempt: ConnectAttempt,
    identity: ClientIdentity & { kind: "device" },
    password: Buffer,
  ): Promise<AuthOutcome> {
    const { deviceId } = identity;
    const restricted = this.restriction(attempt);
    if (restricted && !this.o.index.isProven(deviceId)) return restricted;
    const stored = this.o.index.get(deviceId) ?? (await this.lookUp(identity));
    if (typeof stored !== "string") return stored;
    const digest = this.o.hasher.digestOf(stored);
    if (digest) {
      if (!this.o.hasher.matches(password, digest)) return restricted ?? refuse("wrong password");
    } else if (isScryptHash(stored)) {
      if (restricted) return restricted;
      if (!(await verifySecret(password.toString("utf8"), stored))) return refuse("wrong password");
      await this.upgrade(identity, stored, password);
    } else {
      return refuse("credential hashed under another key (was DEVICE_CREDENTIAL_KEY changed?)");
    }
    if (this.isStale(identity)) return refuse("device was disconnected while authenticating");
    this.o.index.markProven(deviceId);
    return { ok: true, identity };
  }

  private async checkService(attempt: ConnectAttempt, password: Buffer): Promise<AuthOutcome> {
    const digest = sha256(password);
    const proven = this.provenServiceDigest !== null && timingSafeEqual(this.provenServiceDigest, digest);
    if (proven) return { ok: true, identity: { kind: "service" } };
    const restricted = this.restriction(attempt);
    if (restricted) return restricted;
    if (!(await verifySecret(password.toString("utf8"), this.o.service.passwordHash))) return refuse("wrong password");
    this.provenServiceDigest = digest;
    return { ok: true, identity: { kind: "service" } };
  }

  /** A device the index does not hold: claimed since the index was loaded, or not allowed in at all. */
  private async lookUp(identity: ClientIdentity & { kind: "device" }): Promise<string | AuthOutcome> {
    let record: Awaited<ReturnType<DeviceCredentialLookup["findDeviceCredential"]>>;
    try {
      record = await this.o.store.findDeviceCredential(identity.deviceId);
    } catch (err) {
      return refuse(`credential lookup failed: ${(err as Error).message}`, 3, "lookup-failed");
    }
    if (!record) return refuse("unknown device");
    if (record.claimState === "revoked") return refuse("device revoked");
    if (record.claimState !== "claimed" || !record.credentialHash) return refuse("device has no credential yet");
    if (this.isStale(identity)) return refuse("device was disconnected while authenticating");
    this.o.index.set(identity.deviceId, record.credentialHash);
    return record.credentialHash;
  }

  /** scrypt → HMAC, once per device. The camera gets in even if the database write fails (it is retried next time). */
  private async upgrade(identity: ClientIdentity & { kind: "device" }, from: string, password: Buffer): Promise<void> {
    const to = this.o.hasher.hash(password.toString("utf8"));
    try {
      const replaced = await this.o.store.replaceCredentialHash(identity.deviceId, from, to);
      if (replaced && !this.isStale(identity) && this.o.index.get(identity.deviceId) === from)
        this.o.index.set(identity.deviceId, to);
    } catch (err) {
      this.o.onUpgradeFailed?.(identity.deviceId, err as Error);
    }
  }

  private epochOf(deviceId: string): number {
    return this.epochs.get(deviceId) ?? 0;
  }
}

function refuse(reason: string, returnCode: 2 | 3 | 5 = 5, cause: RefusalCause = "refused"): AuthOutcome {
  return { ok: false, returnCode, cause, reason };
}
