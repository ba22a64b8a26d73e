import { describe, expect, it } from "vitest";
import { CredentialIndex, type DeviceCredentialLookup } from "./credential-index.ts";

const storeOf = (rows: () => Promise<Array<{ deviceId: string; credentialHash: string }>>): DeviceCredentialLookup => ({
  findDeviceCredential: async () => null,
  listDeviceCredentials: rows,
  replaceCredentialHash: async () => false,
});

describe("CredentialIndex", () => {
  it("reload reports devices whose credential changed or vanished, and forgets that they were proven", async () => {
    const index = new CredentialIndex();
    await index.reload(
      storeOf(async () => [
        { deviceId: "a", credentialHash: "h1" },
        { deviceId: "b", credentialHash: "h2" },
        { deviceId: "c", credentialHash: "h3" },
      ]),
    );
    index.markProven("a");
    index.markProven("c");
    const changed = await index.reload(
      storeOf(async () => [
        { deviceId: "a", credentialHash: "h1" },
        { deviceId: "b", credentialHash: "h2'" },
        { deviceId: "d", credentialHash: "h4" },
      ]),
    );
    expect(changed.sort()).toEqual(["b", "c"]);
    expect([index.get("a"), index.get("b"), index.get("c"), index.get("d")]).toEqual(["h1", "h2'", undefined, "h4"]);
    expect([index.isProven("a"), index.isProven("c")]).toEqual([true, false]);
  });

  it("a change made while a reload is in flight is not undone by the reload's older snapshot", async () => {
    const index = new CredentialIndex();
    let answer!: (rows: Array<{ deviceId: string; credentialHash: string }>) => void;
    const reloading = index.reload(
      storeOf(
        () =>
          new Promise((resolve) => {
            answer = resolve;
          }),
      ),
    );
    index.set("new", "fresh"); // claimed and connected meanwhile
    answer([{ deviceId: "old", credentialHash: "h" }]);
    expect(await reloading).toEqual([]);
    expect([index.get("new"), index.get("old")]).toEqual(["fresh", "h"]);
  });
});
