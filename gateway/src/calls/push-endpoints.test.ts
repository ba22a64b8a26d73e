import { describe, expect, it } from "vitest";
import { isDomainError } from "../../../protocol/errors.ts";
import { PushEndpointPolicy, defaultPushServiceHosts, isPublicAddress } from "./push-endpoints.ts";

const refusal = async (policy: PushEndpointPolicy, endpoint: string) => {
  try {
    await policy.check(endpoint);
    return null;
  } catch (error) {
    return isDomainError(error) ? error.code : error;
  }
};

describe("push endpoints", () => {
  it("tells public addresses from loopback, private, link-local, unique-local and special ones", () => {
    for (const address of ["8.8.8.8", "142.250.72.10", "2404:6800:4008:c01::5f", "::ffff:8.8.8.8"])
      expect({ address, public: isPublicAddress(address) }).toEqual({ address, public: true });
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.20.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "::",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "64:ff9b::a00:1",
      "not-an-address",
    ])
      expect({ address, public: isPublicAddress(address) }).toEqual({ address, public: false });
  });

  it("takes only https hosts on the list, with subdomain patterns", () => {
    const policy = new PushEndpointPolicy(defaultPushServiceHosts);
    expect(policy.hostAllowed("fcm.googleapis.com")).toBe(true);
    expect(policy.hostAllowed("sg2p.notify.windows.com")).toBe(true);
    expect(policy.hostAllowed("notify.windows.com.evil.cn")).toBe(false);
    expect(policy.hostAllowed("evilfcm.googleapis.com")).toBe(false);
  });

  it("refuses a listed name that resolves to loopback, and allows an address only when listed as such", async () => {
    expect(await refusal(new PushEndpointPolicy(["localhost"]), "https://localhost/push/1")).toBe(
      "push-endpoint-refused",
    );
    expect(await refusal(new PushEndpointPolicy(["127.0.0.1"]), "https://127.0.0.1:8443/push/1")).toBeNull();
    expect(await refusal(new PushEndpointPolicy(["127.0.0.1"]), "http://127.0.0.1/push/1")).toBe(
      "push-endpoint-refused",
    );
    expect(await refusal(new PushEndpointPolicy(["127.0.0.1"]), "https://user:pw@127.0.0.1/push/1")).toBe(
      "push-endpoint-refused",
    );
  });

  it("its DNS lookup for the HTTPS agent answers no address that is not allowed", async () => {
    const policy = new PushEndpointPolicy(["localhost"]);
    const error = await new Promise((resolve) => policy.lookup("localhost", {}, (err) => resolve(err)));
    expect(error).toMatchObject({ code: "EREFUSED" });
  });
});
