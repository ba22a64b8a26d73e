// What the API bench loads: one scenario per route the issue lists (22), each a function of the gateway's URL,
// the seconds to run and the connections to keep open. Tokens, villages and cameras rotate through the seeded
// county so no request is the same as the one before it.
import autocannon from "autocannon";
import WebSocket from "ws";
import type { Seeded } from "./api-seed.ts";
import { distribution, round } from "./stats.ts";

export interface LoadResult {
  scenario: string;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  completed?: number;
  note?: string;
}

export interface Scenario {
  name: string;
  run(url: string, durationS: number, connections: number): Promise<LoadResult>;
}

type Request = autocannon.Request;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function rotating<T>(items: T[]): () => T {
  let next = 0;
  return () => items[next++ % items.length]!;
}

function resultOf(scenario: string, result: autocannon.Result, note?: string): LoadResult {
  return {
    scenario,
    requestsPerS: round(result.requests.average, 0),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    completed: result.requests.total,
    ...(note ? { note } : {}),
  };
}

/** autocannon with requests whose path and headers are chosen per request. */
function load(
  name: string,
  requests: Request[],
  options: Partial<autocannon.Options> = {},
): Scenario["run"] extends (...a: infer A) => unknown ? (...a: A) => Promise<LoadResult> : never {
  return async (url, durationS, connections) =>
    resultOf(
      name,
      await autocannon({
        url,
        connections: options.connections ?? connections,
        duration: durationS,
        requests,
        ...options,
      }),
    );
}

const get = (path: () => string, headers: () => Record<string, string>): Request => ({
  method: "GET",
  setupRequest: (request) => ({ ...request, path: path(), headers: { ...request.headers, ...headers() } }),
});

function signInRequest(seeded: Seeded, password: string): Request {
  const username = rotating(seeded.familyUsernames);
  return {
    method: "POST",
    setupRequest: (request) => ({
      ...request,
      path: "/api/v1/auth/login",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: username(), password }),
    }),
  };
}

/**
 * The family home screen as the app loads it: the member's households and cameras, then each camera's latest
 * still (JSON and image). Each connection plays one member through the whole screen, then the next member.
 */
function familyHomeScreen(seeded: Seeded): Request[] {
  const member = rotating(seeded.family);
  type Context = { member?: Seeded["family"][number] };
  const step = (path: (m: Seeded["family"][number]) => string, first = false): Request => ({
    method: "GET",
    setupRequest: (request, context: Context) => {
      if (first || !context.member) context.member = member();
      return {
        ...request,
        path: path(context.member),
        headers: { ...request.headers, ...bearer(context.member.token) },
      };
    },
  });
  const cameras = seeded.family[0]!.deviceIds.length;
  return [
    step(() => "/api/v1/households", true),
    step(() => "/api/v1/devices?limit=100"),
    ...Array.from({ length: cameras }, (_, k) => [
      step((m) => `/api/v1/devices/${m.deviceIds[k]}/snapshots/latest`),
      step((m) => `/api/v1/devices/${m.deviceIds[k]}/snapshots/latest.jpg`),
    ]).flat(),
  ];
}

export function routeScenarios(seeded: Seeded, password: string): Scenario[] {
  const staff = () => bearer(seeded.staffToken);
  const village = rotating(seeded.villages);
  const device = rotating(seeded.deviceIds);
  const list = (name: string, path: () => string) => ({ name, run: load(name, [get(path, staff)]) });
  return [
    {
      name: "healthz",
      run: load("healthz", [
        get(
          () => "/healthz",
          () => ({}),
        ),
      ]),
    },
    { name: "sign-in", run: load("sign-in", [signInRequest(seeded, password)], { connections: 10 }) },
    list("device list, page of 50", () => "/api/v1/devices?limit=50"),
    list("device list, village", () => `/api/v1/devices?limit=50&village=${encodeURIComponent(village())}`),
    list("device list, offline", () => "/api/v1/devices?limit=50&connection=offline&sort=offline-longest"),
    list("camera detail with uptime", () => `/api/v1/devices/${device()}`),
    { name: "family home screen", run: load("family home screen", familyHomeScreen(seeded)) },
    list("alerts, open", () => "/api/v1/alerts?state=open&limit=50"),
    list("fleet summary", () => "/api/v1/fleet/summary"),
  ];
}

/** The staff device list at full load while sign-ins arrive at 20/s (the slow hash must not stall the list). */
export async function signInDuringList(
  url: string,
  seeded: Seeded,
  password: string,
  durationS: number,
  connections: number,
): Promise<LoadResult> {
  const name = "device list during 20 sign-ins/s";
  const signIns = autocannon({
    url,
    connections: 20,
    overallRate: 20,
    duration: durationS,
    requests: [signInRequest(seeded, password)],
  });
  const list = autocannon({
    url,
    connections,
    duration: durationS,
    requests: [
      get(
        () => "/api/v1/devices?limit=50",
        () => bearer(seeded.staffToken),
      ),
    ],
  });
  const [signInResult, listResult] = await Promise.all([signIns, list]);
  const note = `sign-ins ${round(signInResult.requests.average, 1)}/s, p99 ${signInResult.latency.p99} ms, non-2xx ${signInResult.non2xx}`;
  return resultOf(name, listResult, note);
}

/** Open a live socket, wait for its hello, close it; `connections` such loops at once. */
export async function openLiveSockets(
  url: string,
  seeded: Seeded,
  durationS: number,
  connections: number,
): Promise<LoadResult> {
  const wsUrl = `${url.replace(/^http/, "ws")}/api/v1/live`;
  const token = rotating(seeded.family.map((f) => f.token));
  const latencies: number[] = [];
  let failures = 0;
  const until = performance.now() + durationS * 1000;
  const openOnce = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const socket = new WebSocket(wsUrl, ["wangxiang", `bearer.${token()}`]);
      const done = (ok: boolean) => {
        if (ok) latencies.push(performance.now() - started);
        else failures++;
        socket.removeAllListeners();
        socket.on("error", () => undefined);
        socket.terminate();
        resolve();
      };
      socket.once("message", (data) => done(String(data).includes('"hello"')));
      socket.once("error", () => done(false));
      socket.once("close", () => done(false));
    });
  const loop = async () => {
    while (performance.now() < until) await openOnce();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, loop));
  const seconds = (performance.now() - started) / 1000;
  const d = distribution(latencies);
  return {
    scenario: "live-socket open",
    requestsPerS: round(latencies.length / seconds, 0),
    p50Ms: round(d.p50, 1),
    p99Ms: round(d.p99, 1),
    non2xx: failures,
    errors: 0,
    completed: latencies.length,
  };
}
