import { describe, expect, it } from "vitest";
import { hashSecret } from "../../core/secrets.ts";
import { Authenticator, type ConnectAttempt } from "./authenticator.ts";
import type { DeviceCredentialLookup } from "./broker.ts";
import { AuthFailureLimiter } from "./rate-limits.ts";

const deviceId = "cam_abcdefghijkl";
const service = { username: "gateway", passwordHash: "scrypt$unused" };
const attempt = (password: string): ConnectAttempt =>
  ({ address: "10.0.0.1", clientId: deviceId, username: deviceId, password: Buffer.from(password), willTopic: undefined });

describe("Authenticator", () => {
  it("refuses an authentication that was in flight when the device was forgotten", async () => {
    const credentialHash = await hashSecret("secret", "device-credential");
    let releaseLookup!: () => void;
    const lookup: DeviceCredentialLookup = {
      findDeviceCredential: () => new Promise((resolve) => { releaseLookup = () => resolve({ credentialHash, claimState: "claimed" }); }),
    };
    const authenticator = new Authenticator(lookup, service, new AuthFailureLimiter(10));
    const pending = authenticator.authenticate(attempt("secret"));
    await new Promise((resolve) => setImmediate(resolve));
    authenticator.forget(deviceId);
    releaseLookup();
    expect(await pending).toMatchObject({ ok: false, returnCode: 5 });
  });

  it("answers 3 (server unavailable) when the credential store fails, without counting a failure", async () => {
    const failures = new AuthFailureLimiter(1);
    const authenticator = new Authenticator({ findDeviceCredential: () => Promise.reject(new Error("database down")) }, service, failures);
    expect(await authenticator.authenticate(attempt("secret"))).toMatchObject({ ok: false, returnCode: 3, cause: "lookup-failed" });
    expect(failures.isBlocked("10.0.0.1")).toBe(false);
  });
});
