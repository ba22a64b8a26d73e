// Cluster live view without media: the stream owner records in a real Redis (claim, renewal, release, a dead
// owner's record lapsing) and the routing of WHEP/WHIP/view requests between two real HTTP servers on port 0
// that carry the gateway's routing hook in front of stand-in live-view routes.
import Fastify, { type FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ownerRouting,
  peerHeader,
  peerKeyFrom,
  routedCamera,
  signPeerRequest,
  verifyPeerRequest,
  type RoutingOutcome,
} from "../gateway/src/live-view/owner-routing.ts";
import { StreamOwners, streamOwnerKey } from "../gateway/src/live-view/stream-owners.ts";
import { hasRedis, testRedis, type LocalServer } from "./helpers/local-servers.ts";
import { waitFor } from "./helpers/stack.ts";

const TTL_MS = 600;
const peerKey = peerKeyFrom("test-view-token-secret-0123456789");
const silent = { warn: () => undefined };

let redisDb: LocalServer;
let redis: Redis;

interface TestGateway {
  name: string;
  app: FastifyInstance;
  url: string;
  owners: StreamOwners;
  streams: Set<string>;
  outcomes: RoutingOutcome[];
}
const gateways: TestGateway[] = [];

/** A gateway's HTTP side in miniature: the routing hook, then routes that say which server answered. */
async function startTestGateway(name: string): Promise<TestGateway> {
  const app = Fastify({ logger: false });
  app.addContentTypeParser("application/sdp", { parseAs: "string" }, (_request, body, done) => done(null, body));
  const streams = new Set<string>();
  let url = "";
  const owners = new StreamOwners({
    redis,
    self: () => ({ gatewayId: name, url }),
    ttlMs: TTL_MS,
    holdsStream: (cameraId) => streams.has(cameraId),
    log: silent,
  });
  const gateway: TestGateway = { name, app, url, owners, streams, outcomes: [] };
  ownerRouting(app, {
    owners,
    peerKey,
    proxyTimeoutMs: 5000,
    ownerLeaseS: 1,
    count: (outcome) => void gateway.outcomes.push(outcome),
    log: silent,
  });
  app.post<{ Params: { id: string }; Body: string }>("/api/v1/whep/:id", async (request, reply) => {
    gateway.streams.add(request.params.id);
    return reply
      .code(201)
      .header("location", `/api/v1/whep/${request.params.id}/session-1`)
      .type("application/sdp")
      .send(`answered by ${name} to ${request.body}`);
  });
  app.delete("/api/v1/whep/:id/:session", async () => ({ deletedBy: name }));
  app.post("/api/v1/devices/:id/view", async () => ({ grantedBy: name }));
  app.get("/api/v1/devices/:id/view-log", async () => ({ loggedBy: name }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  gateway.url = url;
  gateway.owners.start();
  gateways.push(gateway);
  return gateway;
}

const whep = (gateway: TestGateway, cameraId: string, headers: Record<string, string> = {}) =>
  fetch(`${gateway.url}/api/v1/whep/${cameraId}`, {
    method: "POST",
    headers: { "content-type": "application/sdp", authorization: "Bearer viewer-token", ...headers },
    body: "v=0 offer",
  });
describe.skipIf(!hasRedis)("stream routing through Redis", () => {
  beforeAll(async () => {
    redisDb = await testRedis();
    redis = new Redis(redisDb.url);
  });

  afterAll(async () => {
    for (const gateway of gateways) {
      await gateway.owners.stop();
      await gateway.app.close();
    }
    redis?.disconnect();
    await redisDb?.stop();
  });

  describe("stream owner records", () => {
    it("the first gateway takes a camera, others see it, renewals keep it and it goes when the stream ends", async () => {
      const [a, b] = [await startTestGateway("owners-a"), await startTestGateway("owners-b")];
      a.streams.add("cam-1");
      expect(await a.owners.claim("cam-1")).toEqual({ gatewayId: "owners-a", url: a.url });
      expect(await b.owners.claim("cam-1")).toEqual({ gatewayId: "owners-a", url: a.url });
      expect(await b.owners.ownerOf("cam-1")).toMatchObject({ gatewayId: "owners-a" });
      expect(b.owners.heldCameras()).toEqual([]);

      // Renewed while the stream lives: the lease's remaining time climbs back up, past several lifetimes.
      const deadline = Date.now() + 3 * TTL_MS;
      await waitFor("three lease lifetimes with renewals", async () => {
        expect(await redis.pttl(streamOwnerKey("cam-1"))).toBeGreaterThan(0);
        return Date.now() > deadline;
      });
      a.streams.delete("cam-1");
      await waitFor(
        "the record released once the stream ended",
        async () => (await b.owners.ownerOf("cam-1")) === null,
      );
      expect(a.owners.heldCameras()).toEqual([]);
    });

    it("a dead owner's record lapses and another gateway takes the camera; stop() releases at once", async () => {
      const dead = new StreamOwners({
        redis,
        self: () => ({ gatewayId: "dead", url: "http://127.0.0.1:9" }),
        ttlMs: TTL_MS,
        holdsStream: () => true,
        log: silent,
      });
      await dead.claim("cam-2"); // never renewed: the process died
      const b = gateways[1]!;
      b.streams.add("cam-2");
      expect((await b.owners.claim("cam-2")).gatewayId).toBe("dead");
      await waitFor("the dead owner's record lapses", async () => (await redis.exists(streamOwnerKey("cam-2"))) === 0);
      expect((await b.owners.claim("cam-2")).gatewayId).toBe("owners-b");
      await b.owners.stop();
      expect(await redis.exists(streamOwnerKey("cam-2"))).toBe(0);
      b.owners.start();
      b.streams.delete("cam-2");
    });

    it("ignores an unreadable record and replaces it", async () => {
      await redis.set(streamOwnerKey("cam-3"), '{"gatewayId":"x","url":"file:///etc/passwd"}', "PX", 60_000);
      const a = gateways[0]!;
      expect(await a.owners.ownerOf("cam-3")).toBeNull();
      a.streams.add("cam-3");
      expect((await a.owners.claim("cam-3")).gatewayId).toBe("owners-a");
      a.streams.delete("cam-3");
    });
  });

  describe("routing to the owner", () => {
    it("proxies WHEP, its DELETE and the view grant to the owner; the answer comes back whole", async () => {
      const [a, b] = gateways as [TestGateway, TestGateway];
      const first = await whep(a, "cam-10");
      expect(first.status).toBe(201);
      expect(await first.text()).toBe("answered by owners-a to v=0 offer");

      const viaB = await whep(b, "cam-10");
      expect(viaB.status).toBe(201);
      expect(viaB.headers.get("content-type")).toContain("application/sdp");
      expect(viaB.headers.get("location")).toBe("/api/v1/whep/cam-10/session-1");
      expect(await viaB.text()).toBe("answered by owners-a to v=0 offer");
      expect(b.outcomes).toContain("proxied");

      const deleted = await fetch(`${b.url}/api/v1/whep/cam-10/session-1`, { method: "DELETE" });
      expect(await deleted.json()).toEqual({ deletedBy: "owners-a" });
      const granted = await fetch(`${b.url}/api/v1/devices/cam-10/view`, { method: "POST" });
      expect(await granted.json()).toEqual({ grantedBy: "owners-a" });
      // Only the stream's own routes move: the view log is read where the request landed.
      const log = await fetch(`${b.url}/api/v1/devices/cam-10/view-log`);
      expect(await log.json()).toEqual({ loggedBy: "owners-b" });
      a.streams.delete("cam-10");
    });

    it("never forwards a signed request again, and routes a forged one like any client's", async () => {
      const [a, b] = gateways as [TestGateway, TestGateway];
      b.streams.add("cam-11");
      expect((await b.owners.claim("cam-11")).gatewayId).toBe("owners-b");
      const url = "/api/v1/whep/cam-11";
      const signed = await whep(a, "cam-11", { [peerHeader]: signPeerRequest(peerKey, "POST", url) });
      expect(await signed.text()).toBe("answered by owners-a to v=0 offer"); // handled where it landed

      const forged = await whep(a, "cam-11", {
        [peerHeader]: signPeerRequest(peerKeyFrom("not-the-secret!!"), "POST", url),
      });
      expect(await forged.text()).toBe("answered by owners-b to v=0 offer");
      expect(a.outcomes).toContain("forged-peer");
      const stale = signPeerRequest(peerKey, "POST", url, Date.now() - 60_000);
      expect(verifyPeerRequest(peerKey, stale, "POST", url)).toBe("forged");
      expect(verifyPeerRequest(peerKey, signPeerRequest(peerKey, "POST", url), "DELETE", url)).toBe("forged");
      b.streams.delete("cam-11");
    });

    it("answers 503 stream-owner-unreachable while a dead owner's record lives, then takes the camera over", async () => {
      const b = gateways[1]!;
      const dead = new StreamOwners({
        redis,
        self: () => ({ gatewayId: "dead-gateway", url: "http://127.0.0.1:9" }),
        ttlMs: TTL_MS,
        holdsStream: () => true,
        log: silent,
      });
      await dead.claim("cam-12");
      const refused = await whep(b, "cam-12");
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(await refused.json()).toMatchObject({ error: "stream-owner-unreachable" });
      expect(b.outcomes).toContain("owner-unreachable");
      await waitFor("the record lapses", async () => (await redis.exists(streamOwnerKey("cam-12"))) === 0);
      const taken = await whep(b, "cam-12");
      expect(await taken.text()).toBe("answered by owners-b to v=0 offer");
      expect(b.owners.heldCameras()).toContain("cam-12");
    });

    it("takes no camera for a request without a token", async () => {
      const a = gateways[0]!;
      const anonymous = await fetch(`${a.url}/api/v1/whep/cam-13`, {
        method: "POST",
        headers: { "content-type": "application/sdp" },
        body: "v=0 offer",
      });
      expect(anonymous.status).toBe(201); // the stand-in route; the real one answers 401
      expect(await redis.exists(streamOwnerKey("cam-13"))).toBe(0);
      a.streams.delete("cam-13");
    });

    it("recognises exactly the routed paths", () => {
      expect(routedCamera("POST", "/api/v1/whep/cam%2D1")).toEqual({ kind: "whep", cameraId: "cam-1" });
      expect(routedCamera("DELETE", "/api/v1/whip/cam-1/0b6c")).toEqual({ kind: "whip", cameraId: "cam-1" });
      expect(routedCamera("POST", "/api/v1/devices/cam-1/view?x=1")).toEqual({ kind: "view", cameraId: "cam-1" });
      expect(routedCamera("GET", "/api/v1/devices/cam-1/view")).toBeNull();
      expect(routedCamera("GET", "/api/v1/devices/cam-1/view-log")).toBeNull();
      expect(routedCamera("POST", "/api/v1/whep/%E0%A4%A")).toBeNull();
      expect(routedCamera("POST", "/api/v1/whep/a/b/c")).toBeNull();
      expect(routedCamera("POST", "/api/v1/auth/login")).toBeNull();
      expect(routedCamera("POST", `/api/v1/whep/${"c".repeat(129)}`)).toBeNull();
    });
  });
});
