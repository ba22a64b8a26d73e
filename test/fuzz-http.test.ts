// Fuzzing every POST/PATCH route of the API (taken from the running gateway's /openapi.json) with ≥ 10,000 generated
// requests: random JSON, type-confused variants of valid bodies, huge strings, deep nesting, invalid UTF-8, wrong
// content types and empty bodies, signed in as each role or not at all. Every reply must be a 4xx in the one error
// shape {error, message} (or a 2xx when the input happens to be valid): never a 5xx, never a hang.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installDemoCamera, startStack, type Stack } from "./helpers/stack.ts";

const SEED = 20_260_515;
const REQUESTS = 10_000;
const CONCURRENCY = 12;
const REPLY_TIMEOUT_MS = 15_000;

/** A body each route accepts (or nearly: codes and serials that do not exist), the seed of the type-confused variants. */
const validBodies: Record<string, unknown> = {
  "/api/v1/auth/login": { username: "nobody-here", password: "not-the-password" },
  "/api/v1/auth/register": {
    username: "fuzz-user",
    password: "long-enough-password",
    displayName: "新人",
    inviteCode: "K7P2-9QXM",
    relation: "儿子",
  },
  "/api/v1/households": {
    village: "青平镇普仁村",
    elderName: "张奶奶",
    contactName: "张三",
    contactPhone: "13800000000",
    address: "3组",
    requestId: "0f8fad5b-d9cb-469f-a165-70867728950e",
  },
  "/api/v1/households/{householdId}/members": { username: "family", relation: "儿子" },
  "/api/v1/households/{householdId}/invites": { maxUses: 2, expiresInH: 24, relation: "女儿" },
  "/api/v1/invites/accept": { code: "K7P2-9QXM", relation: "女儿" },
  "/api/v1/devices/claim": { serial: "WX-2026-ZZZZZZ", claimCode: "K7P2-9QXM" },
  "/api/v1/devices": { serial: "WX-2026-FUZZ01", model: "WX-C1" },
  "/api/v1/households/{householdId}/devices": { serial: "WX-2026-ZZZZZZ", claimCode: "K7P2-9QXM", label: "堂屋" },
  "/api/v1/devices/{deviceId}/replace": { qr: "WX1;S:WX-2026-ZZZZZZ;C:K7P2-9QXM", label: "堂屋" },
  "/api/v1/devices/{deviceId}/move": { householdId: "hh_placeholder" },
  "/api/v1/devices/{deviceId}/commands": { name: "privacy", params: { enabled: true } },
};

type Encoded = { kind: string; contentType?: string; body?: string | Uint8Array };

interface FuzzCase {
  route: number;
  params: string[];
  auth: number;
  encoded: Encoded;
}

describe("HTTP fuzzing", () => {
  let stack: Stack;
  let routes: { method: string; path: string; params: string[] }[];
  let tokens: (string | null)[];
  let paramValues: string[];

  beforeAll(async () => {
    // Cameras stay offline, so valid commands and view requests end in a 409 rather than waiting for an answer.
    stack = await startStack({
      RELAY_ENABLED: "1",
      RELAY_WORKERS: "1",
      RELAY_HOST_ADDRESSES: "127.0.0.1",
      COMMAND_TIMEOUT_MS: "300",
    });
    const camera = await installDemoCamera(stack, 0);
    validBodies["/api/v1/devices/{deviceId}/move"] = { householdId: stack.seed.householdId };
    // Signed in before the run: wrong logins during it may rate-limit this address.
    tokens = [
      null,
      await stack.login("staff"),
      await stack.login("installer"),
      await stack.login("family"),
      "not-a-token",
      "x".repeat(300),
    ];
    paramValues = [
      camera.deviceId,
      stack.seed.householdId,
      "cam_000000000000",
      "hh_nothing",
      "inv_x",
      "alr_x",
      "x".repeat(65),
      "望乡",
      "%ff",
      "..",
      "a b",
      "0",
    ];
    const doc = (await stack.api("GET", "/openapi.json")).body;
    routes = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => m === "post" || m === "patch")
        .map((method) => ({
          method: method.toUpperCase(),
          path,
          params: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        })),
    );
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it(`answers ${REQUESTS} generated requests to every POST/PATCH route with a 4xx error shape or a 2xx, never a 5xx or a hang`, async () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
    expect(routes.map((r) => r.path)).toEqual(
      expect.arrayContaining(["/api/v1/households", "/api/v1/devices/{deviceId}/commands", "/api/v1/whep/{cameraId}"]),
    );

    const jsonText = (value: unknown) => JSON.stringify(value) ?? "";
    const confused = (valid: unknown) =>
      fc.oneof(
        // One field of the valid body replaced by anything, or removed, or an unknown one added.
        fc
          .tuple(fc.constantFrom(...Object.keys(valid as object), "__proto__", "constructor", "extra"), fc.anything())
          .map(([key, value]) => ({ ...(valid as object), [key]: value })),
        fc
          .constantFrom(...Object.keys(valid as object))
          .map((key) => Object.fromEntries(Object.entries(valid as object).filter(([k]) => k !== key))),
        // Each field as another type: number, array, object, null, boolean.
        fc
          .tuple(
            fc.constantFrom(...Object.keys(valid as object)),
            fc.constantFrom<unknown>(
              0,
              -1,
              1e308,
              [],
              {},
              null,
              true,
              "",
              [[]],
              { $gt: "" },
              "a\u0000b",
              "\u0000",
              "\ud800",
              "' OR 1=1 --",
            ),
          )
          .map(([key, value]) => ({ ...(valid as object), [key]: value })),
        fc.constant([valid]),
        fc.constant({ data: valid }),
        fc.constant(valid),
      );
    const huge = fc
      .tuple(fc.constantFrom(1_000, 60_000, 300_000), fc.constantFrom("x", "望", "\u0000", "\ud800"))
      .map(([n, c]) => ({ n, c }));
    const deep = fc
      .tuple(fc.constantFrom(50, 1_000, 20_000, 100_000), fc.boolean())
      .map(([depth, arrays]) =>
        arrays ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth),
      );
    const wrongTypes = [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/sdp",
      "application/octet-stream",
      "application/json; charset=utf-16",
      "application/xml",
      'application/json; charset="x"',
    ];

    // Routes without a body (revoke, view, ack, ...) get one anyway, seeded from an unexpected field.
    const encodedFor = (routeBody: unknown, valid = routeBody ?? { unexpected: "field" }): fc.Arbitrary<Encoded> =>
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .json({ maxDepth: 4 })
            .map((text) => ({ kind: "random-json", contentType: "application/json", body: text })),
        },
        {
          weight: 3,
          arbitrary: fc
            .anything({ maxDepth: 3 })
            .map((value) => ({ kind: "anything", contentType: "application/json", body: jsonText(value) })),
        },
        {
          weight: 6,
          arbitrary: confused(valid).map((value) => ({
            kind: "type-confused",
            contentType: "application/json",
            body: jsonText(value),
          })),
        },
        {
          weight: 1,
          arbitrary: fc.tuple(huge, fc.constantFrom(...Object.keys(valid as object))).map(([{ n, c }, key]) => ({
            kind: `huge-${n}`,
            contentType: "application/json",
            body: jsonText({ ...(valid as object), [key]: c.repeat(n) }),
          })),
        },
        { weight: 1, arbitrary: deep.map((text) => ({ kind: "deep", contentType: "application/json", body: text })) },
        {
          weight: 2,
          arbitrary: fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.nat()).map(([bad, at]) => {
            const text = Buffer.from(jsonText(valid));
            const cut = at % (text.length + 1);
            return {
              kind: "invalid-utf8",
              contentType: "application/json",
              body: new Uint8Array(
                Buffer.concat([text.subarray(0, cut), Buffer.from([0xff, 0xc3, ...bad]), text.subarray(cut)]),
              ),
            };
          }),
        },
        {
          weight: 1,
          arbitrary: fc
            .uint8Array({ maxLength: 300 })
            .map((bytes) => ({ kind: "random-bytes", contentType: "application/json", body: bytes })),
        },
        {
          weight: 2,
          arbitrary: fc
            .constantFrom(...wrongTypes)
            .map((type) => ({ kind: "wrong-content-type", contentType: type, body: jsonText(valid) })),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom<Encoded>(
            { kind: "empty-json", contentType: "application/json", body: "" },
            { kind: "no-body" },
            { kind: "null", contentType: "application/json", body: "null" },
          ),
        },
        {
          weight: 1,
          arbitrary: fc
            .string({ maxLength: 200 })
            .map((text) => ({ kind: "sdp-ish", contentType: "application/sdp", body: `v=0\r\n${text}` })),
        },
      );

    const cases: FuzzCase[] = fc.sample(
      fc.nat(routes.length - 1).chain((route) =>
        fc.record({
          route: fc.constant(route),
          params: fc.array(
            fc.oneof(
              { weight: 3, arbitrary: fc.nat(paramValues.length - 1).map((i) => paramValues[i]!) },
              { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 80 }) },
            ),
            { minLength: 2, maxLength: 2 },
          ),
          auth: fc.nat(tokens.length - 1),
          encoded: encodedFor(validBodies[routes[route]!.path]),
        }),
      ),
      { seed: SEED, numRuns: REQUESTS },
    );

    const failures: string[] = [];
    const byStatus = new Map<number, number>();
    const byKind = new Map<string, number>();
    let slowestMs = 0;
    const send = async (c: FuzzCase) => {
      const route = routes[c.route]!;
      let i = 0;
      // "%ff" and ".." go in raw: the gateway must answer undecodable and odd paths too.
      const path = route.path.replace(/\{\w+\}/g, () => {
        const v = c.params[i++ % 2]!;
        return v === "%ff" || v === ".." ? v : encodeURIComponent(v);
      });
      // Logging out with a real token would sign this run's own accounts out.
      const token = route.path.endsWith("/auth/logout") && c.auth >= 1 && c.auth <= 3 ? null : tokens[c.auth];
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (c.encoded.contentType) headers["content-type"] = c.encoded.contentType;
      const what = `${route.method} ${path} [${c.encoded.kind}, auth ${c.auth}]`;
      const started = performance.now();
      try {
        const reply = await fetch(stack.httpUrl + path, {
          method: route.method,
          headers,
          body: c.encoded.body as BodyInit | undefined,
          signal: AbortSignal.timeout(REPLY_TIMEOUT_MS),
        });
        const text = await reply.text();
        slowestMs = Math.max(slowestMs, performance.now() - started);
        byStatus.set(reply.status, (byStatus.get(reply.status) ?? 0) + 1);
        byKind.set(c.encoded.kind.replace(/-\d+$/, ""), (byKind.get(c.encoded.kind.replace(/-\d+$/, "")) ?? 0) + 1);
        if (reply.status >= 500) return void failures.push(`${what} → ${reply.status} ${text.slice(0, 200)}`);
        if (reply.status >= 400) {
          let body: { error?: unknown; message?: unknown } | null = null;
          try {
            body = JSON.parse(text);
          } catch {
            /* checked below */
          }
          if (typeof body?.error !== "string" || typeof body?.message !== "string")
            failures.push(`${what} → ${reply.status} not the error shape: ${text.slice(0, 200)}`);
        } else if (reply.status < 200 || reply.status >= 300) failures.push(`${what} → unexpected ${reply.status}`);
      } catch (error) {
        failures.push(`${what} → no answer: ${(error as Error).message}`);
      }
    };

    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) await send(cases[next++]!);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `HTTP fuzz: ${cases.length} requests over ${routes.length} routes in ${seconds.toFixed(1)} s (${(cases.length / seconds).toFixed(0)}/s), slowest reply ${slowestMs.toFixed(0)} ms`,
    );
    console.log(
      `  by status: ${[...byStatus]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}×${n}`)
        .join(" ")}`,
    );
    console.log(`  by input kind: ${[...byKind].map(([k, n]) => `${k}×${n}`).join(" ")}`);

    expect(failures.slice(0, 10)).toEqual([]);
    expect([...byStatus.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
    const health = await stack.api("GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok", database: "ok", broker: "ok" });
    // A hang is caught per reply (REPLY_TIMEOUT_MS); the whole run's limit only has to outlast a loaded 2-core machine.
  }, 300_000);
});
