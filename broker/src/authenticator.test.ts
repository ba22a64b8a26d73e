import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DeviceCredentialHasher } from "../../core/device-credentials.ts";
import { Authenticator, type ConnectAttempt } from "./authenticator.ts";
import { CredentialIndex, type DeviceCredentialLookup } from "./credential-index.ts";
import { AuthFailureLimiter } from "./rate-limits.ts";

const deviceId = "cam_abcdefghijkl";
const service = { username: "gateway", passwordHash: "scrypt$unused" };
const hasher = new DeviceCredentialHasher(randomBytes(32));
const attempt = (password: string, extra: Partial<ConnectAttempt> = {}): ConnectAttempt => ({
  address: "10.0.0.1",
  clientId: deviceId,
  username: deviceId,
  password: Buffer.from(password),
  willTopic: undefined,
  ...extra,
});
const store = (findDeviceCredential: DeviceCredentialLookup["findDeviceCredential"]): DeviceCredentialLookup => ({
  findDeviceCredential,
  listDeviceCredentials: async () => [],
  replaceCredentialHash: async () => false,
});
const authenticatorWith = (
  lookup: DeviceCredentialLookup,
  failures = new AuthFailureLimiter(10),
  index = new CredentialIndex(),
) => new Authenticator({ store: lookup, index, hasher, service, failures });

describe("Authenticator", () => {
  it("refuses an authentication that was in flight when the device was forgotten", async () => {
    const credentialHash = hasher.hash("secret");
    let releaseLookup!: () => void;
    const authenticator = authenticatorWith(
      store(
        () =>
          new Promise((resolve) => {
            releaseLookup = () => resolve({ credentialHash, claimState: "claimed" });
          }),
      ),
    );
    const pending = authenticator.authenticate(attempt("secret"));
    await new Promise((resolve) => setImmediate(resolve));
    authenticator.forget(deviceId);
    releaseLookup();
    expect(await pending).toMatchObject({ ok: false, returnCode: 5 });
  });

  it("answers 3 (server unavailable) when the credential store fails, without counting a failure", async () => {
    const failures = new AuthFailureLimiter(1);
    const authenticator = authenticatorWith(
      store(() => Promise.reject(new Error("database down"))),
      failures,
    );
    expect(await authenticator.authenticate(attempt("secret"))).toMatchObject({
      ok: false,
      returnCode: 3,
      cause: "lookup-failed",
    });
    expect(failures.isBlocked("10.0.0.1")).toBe(false);
  });

  it("asks the store once per device, then answers from the index", async () => {
    let lookups = 0;
    const authenticator = authenticatorWith(
      store(async () => (lookups++, { credentialHash: hasher.hash("secret"), claimState: "claimed" })),
    );
    for (let i = 0; i < 3; i++) expect(await authenticator.authenticate(attempt("secret"))).toMatchObject({ ok: true });
    expect(await authenticator.authenticate(attempt("wrong"))).toMatchObject({ ok: false, returnCode: 5 });
    expect(lookups).toBe(1);
  });

  it("lets a connection over its address's rate in only with a credential proven here, refused with 3 and no failure counted", async () => {
    const failures = new AuthFailureLimiter(1);
    const authenticator = authenticatorWith(
      store(async () => ({ credentialHash: hasher.hash("secret"), claimState: "claimed" })),
      failures,
    );
    expect(await authenticator.authenticate(attempt("secret", { overRate: true }))).toMatchObject({
      ok: false,
      returnCode: 3,
      cause: "over-connection-rate",
    });
    expect(failures.isBlocked("10.0.0.1")).toBe(false);
    expect(await authenticator.authenticate(attempt("secret"))).toMatchObject({ ok: true });
    expect(await authenticator.authenticate(attempt("secret", { overRate: true }))).toMatchObject({ ok: true });
  });

  it("refuses a hash made under another key, with a reason that says so", async () => {
    const other = new DeviceCredentialHasher(randomBytes(32));
    const authenticator = authenticatorWith(
      store(async () => ({ credentialHash: other.hash("secret"), claimState: "claimed" })),
    );
    expect(await authenticator.authenticate(attempt("secret"))).toMatchObject({
      ok: false,
      returnCode: 5,
      reason: expect.stringContaining("another key"),
    });
  });
});
