// The flash and the claim step against a real HTTP test double of the gateway's claim endpoint.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startGatewayTestDouble, type GatewayTestDouble } from "../../test/helpers/sim-helpers.ts";
import { createCredentialsStore, type CredentialsStore } from "./credentials-store.ts";
import { CameraIdentity, type ClaimStepOptions } from "./identity.ts";
import { silentLogger } from "./log.ts";

const log = silentLogger();
let gateway: GatewayTestDouble;
let stateDir: string;
let store: CredentialsStore;
let serialCounter = 0;

beforeAll(async () => {
  gateway = await startGatewayTestDouble({ mqttUrl: "mqtt://127.0.0.1:1" });
});
afterAll(() => gateway.close());
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "wx-identity-"));
  store = createCredentialsStore(stateDir);
});

function newIdentity(register = true) {
  const serial = `WX-IDNT-${String(++serialCounter).padStart(6, "0")}`;
  const claimCode = "ABCD1234";
  if (register) gateway.registered.set(serial, claimCode);
  return new CameraIdentity({ serial, claimCode, store, factoryFirmware: "1.4.2" });
}

function claimOptions(signal = new AbortController().signal) {
  const counted: number[] = [];
  const options: ClaimStepOptions = {
    gatewayUrl: gateway.url,
    backoff: { baseMs: 10, capMs: 20 },
    random: Math.random,
    log,
    signal,
    countRequests: (attempts) => void counted.push(attempts),
  };
  return { options, counted };
}

describe("CameraIdentity", () => {
  it("a camera fresh from the factory writes its identity at once, unclaimed", async () => {
    const identity = newIdentity();
    await identity.load(log, new AbortController().signal);
    expect(identity.credentials).toBeNull();
    expect(await store.load(identity.serial)).toMatchObject({
      serial: identity.serial,
      firmware: "1.4.2",
      credentials: null,
      claimedAt: null,
    });
  });

  it("a stored firmware and privacy setting win over the factory's", async () => {
    const identity = newIdentity();
    await store.save({
      serial: identity.serial,
      claimCode: identity.claimCode,
      firmware: "1.5.0",
      privacy: true,
      credentials: null,
      claimedAt: null,
    });
    await identity.load(log, new AbortController().signal);
    expect(identity).toMatchObject({ firmware: "1.5.0", privacy: true });
  });

  it("a corrupt state file counts as none and is replaced by the factory identity", async () => {
    const identity = newIdentity();
    await writeFile(join(stateDir, `${identity.serial}.json`), "{ half a fi");
    await identity.load(log, new AbortController().signal);
    expect(identity.credentials).toBeNull();
    expect(JSON.parse(await readFile(join(stateDir, `${identity.serial}.json`), "utf8"))).toMatchObject({
      firmware: "1.4.2",
    });
  });

  it("claims once, keeps the credentials with claimedAt, and does not ask again", async () => {
    const identity = newIdentity();
    await identity.load(log, new AbortController().signal);
    const { options, counted } = claimOptions();
    const outcome = await identity.claimIfNeeded(options);
    expect(outcome).toMatchObject({ kind: "ready", credentials: { deviceId: gateway.claimed.get(identity.serial) } });
    expect(counted).toEqual([1]);
    const stored = await store.load(identity.serial);
    expect(stored?.credentials?.deviceId).toBe(gateway.claimed.get(identity.serial));
    expect(stored?.claimedAt).not.toBeNull();
    const requestsBefore = gateway.claimRequests;
    expect((await identity.claimIfNeeded(claimOptions().options)).kind).toBe("ready");
    expect(gateway.claimRequests).toBe(requestsBefore);
  });

  it("a refusal comes back as the camera's refusal, with the gateway's code", async () => {
    const identity = newIdentity(false);
    await identity.load(log, new AbortController().signal);
    const outcome = await identity.claimIfNeeded(claimOptions().options);
    expect(outcome).toEqual({
      kind: "refused",
      refusal: { stage: "claim", code: "unknown-serial", message: "no such serial", httpStatus: 404 },
    });
    expect(identity.credentials).toBeNull();
  });

  it("an aborted life stops retrying", async () => {
    const identity = newIdentity();
    await identity.load(log, new AbortController().signal);
    gateway.failNextClaims = 1_000;
    const life = new AbortController();
    const { options, counted } = claimOptions(life.signal);
    const requestsBefore = gateway.claimRequests;
    const outcome = identity.claimIfNeeded(options);
    await expect.poll(() => gateway.claimRequests).toBeGreaterThan(requestsBefore + 1);
    life.abort();
    expect(await outcome).toEqual({ kind: "aborted" });
    expect(counted[0]).toBeGreaterThan(1);
    gateway.failNextClaims = 0;
  });

  it("wipe forgets the credentials and the privacy setting", async () => {
    const identity = newIdentity();
    await identity.load(log, new AbortController().signal);
    await identity.claimIfNeeded(claimOptions().options);
    identity.privacy = true;
    await identity.wipe();
    expect(identity).toMatchObject({ credentials: null, privacy: false });
    expect(await store.load(identity.serial)).toBeNull();
  });
});
