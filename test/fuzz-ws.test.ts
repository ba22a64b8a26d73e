// Fuzzing the live WebSocket (/api/v1/live) with 10,000 generated messages: random text, random JSON, binary frames,
// oversized frames, invalid UTF-8 and near misses of the two valid messages. Each one is answered — a pong, an
// {type:"error"}, or (oversize, invalid UTF-8) the socket's close, after which a new socket carries on — except a valid
// filter, which the protocol does not answer. The answers come in order and are checked one by one against the
// protocol's own schema; the gateway stays healthy and leaks no socket.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { clientMessage } from "../protocol/ws.ts";
import { readCounter } from "./helpers/security-fixtures.ts";
import { startStack, waitFor, type Stack, type TestJson } from "./helpers/stack.ts";

const SEED = 20_260_516;
const MESSAGES = 10_000;
const BATCH = 100;
const MAX_TEXT_BYTES = 16 * 1024; // the gateway's limit for a message
const MAX_FRAME_BYTES = 64 * 1024; // the WebSocket server's maxPayload: larger frames close the socket

type Frame = { kind: string; data: string | Buffer; binary: boolean };
/** What the server must do with a frame: answer it (pong with this id, or error), say nothing (valid filter), or close. */
type Expectation =
  { answer: "pong"; id?: string } | { answer: "error" } | { answer: "none" } | { answer: "close"; codes: number[] };

function expectationFor(frame: Frame): Expectation {
  if (frame.kind === "invalid-utf8") return { answer: "close", codes: [1007] };
  const bytes = typeof frame.data === "string" ? Buffer.byteLength(frame.data) : frame.data.length;
  if (bytes > MAX_FRAME_BYTES) return { answer: "close", codes: [1009] };
  if (frame.binary || bytes > MAX_TEXT_BYTES) return { answer: "error" };
  let raw: unknown;
  try {
    raw = JSON.parse(String(frame.data));
  } catch {
    return { answer: "error" };
  }
  const parsed = clientMessage.safeParse(raw);
  if (!parsed.success) return { answer: "error" };
  return parsed.data.type === "ping"
    ? { answer: "pong", ...(parsed.data.id ? { id: parsed.data.id } : {}) }
    : { answer: "none" };
}

describe("WebSocket fuzzing", () => {
  let stack: Stack;
  let tokens: string[];

  beforeAll(async () => {
    stack = await startStack();
    tokens = [await stack.login("family"), await stack.login("staff")];
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it(`answers ${MESSAGES} generated messages in order, stays usable and healthy`, async () => {
    const validPing = fc.record(
      { type: fc.constant("ping"), id: fc.option(fc.string({ maxLength: 64 }), { nil: undefined }) },
      { requiredKeys: ["type"] },
    );
    const validFilter = fc.record(
      {
        type: fc.constant("filter"),
        villages: fc.array(fc.string({ maxLength: 80 }), { maxLength: 5 }),
        deviceIds: fc.array(fc.string({ maxLength: 64 }), { maxLength: 5 }),
      },
      { requiredKeys: ["type"] },
    );
    const nearMiss = fc.oneof(
      fc
        .tuple(
          fc.oneof(validPing, validFilter),
          fc.constantFrom("type", "id", "villages", "deviceIds", "extra", "__proto__"),
          fc.anything({ maxDepth: 2 }),
        )
        .map(([m, key, value]) => ({ ...m, [key]: value })),
      fc
        .constantFrom("PING", "Ping", "ping ", "pong", "hello", "subscribe", "filter\u0000", "")
        .map((type) => ({ type })),
      fc.string({ minLength: 65, maxLength: 200 }).map((id) => ({ type: "ping", id })),
      fc
        .nat({ max: 2000 })
        .map((n) => ({ type: "filter", deviceIds: Array.from({ length: n }, (_, i) => `cam_${i}`) })),
      fc.string({ minLength: 81, maxLength: 120 }).map((village) => ({ type: "filter", villages: [village] })),
      fc.oneof(validPing, validFilter).map((m) => [m]),
    );
    const frames: Frame[] = fc.sample(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .oneof(fc.string({ maxLength: 200 }), fc.fullUnicodeString({ maxLength: 100 }))
            .map((data) => ({ kind: "random-text", data, binary: false })),
        },
        {
          weight: 4,
          arbitrary: fc.json({ maxDepth: 4 }).map((data) => ({ kind: "random-json", data, binary: false })),
        },
        { weight: 6, arbitrary: nearMiss.map((m) => ({ kind: "near-miss", data: JSON.stringify(m), binary: false })) },
        { weight: 3, arbitrary: validPing.map((m) => ({ kind: "ping", data: JSON.stringify(m), binary: false })) },
        { weight: 1, arbitrary: validFilter.map((m) => ({ kind: "filter", data: JSON.stringify(m), binary: false })) },
        {
          weight: 2,
          arbitrary: fc
            .uint8Array({ maxLength: 300 })
            .map((bytes) => ({ kind: "binary", data: Buffer.from(bytes), binary: true })),
        },
        {
          weight: 1,
          arbitrary: fc.integer({ min: MAX_TEXT_BYTES + 1, max: MAX_FRAME_BYTES }).map((n) => ({
            kind: "over-16k",
            data: JSON.stringify({ type: "ping", id: "x".repeat(n) }),
            binary: false,
          })),
        },
        {
          weight: 1,
          arbitrary: fc
            .integer({ min: 1, max: 8 })
            .map((n) => ({ kind: "deep", data: "[".repeat(n * 1000) + "]".repeat(n * 1000), binary: false })),
        },
      ),
      { seed: SEED, numRuns: MESSAGES - 40 },
    );
    // Frames that end the socket, spread through the run.
    const rng = fc.sample(fc.nat(frames.length), { seed: SEED, numRuns: 40 });
    rng.forEach((at, i) =>
      frames.splice(
        at,
        0,
        i % 2
          ? { kind: "oversize", data: Buffer.alloc(MAX_FRAME_BYTES + 1 + i * 1000, 0x61), binary: false }
          : { kind: "invalid-utf8", data: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), binary: false },
      ),
    );
    expect(frames).toHaveLength(MESSAGES);

    const counts = { pong: 0, error: 0, none: 0, close: 0, sockets: 0 };
    let socket!: WebSocket;
    let inbox: TestJson[] = [];
    let closedWith: number | null = null;
    /** Resolves when the socket is open; messages may be sent before the server's hello (they must not be lost). */
    const open = () =>
      new Promise<void>((resolve, reject) => {
        socket = new WebSocket(`${stack.httpUrl.replace("http", "ws")}/api/v1/live`, [
          "wangxiang",
          `bearer.${tokens[counts.sockets++ % tokens.length]}`,
        ]);
        inbox = [];
        closedWith = null;
        socket.on("message", (data) => {
          const message = JSON.parse(String(data));
          if (message.type === "pong" || message.type === "error") inbox.push(message);
        });
        socket.on("close", (code) => {
          closedWith = code;
        });
        socket.once("open", () => resolve());
        socket.once("error", reject);
      });

    const invalidBefore = await readCounter(stack, "wx_ws_invalid_messages_total");
    const started = performance.now();
    await open();
    for (let start = 0; start < frames.length;) {
      if (expectationFor(frames[start]!).answer === "close") {
        const frame = frames[start++]!;
        const expectation = expectationFor(frame) as { codes: number[] };
        socket.send(frame.data, { binary: frame.binary });
        await waitFor(`close after ${frame.kind}`, () => closedWith !== null, 5000, 5);
        expect(expectation.codes, frame.kind).toContain(closedWith);
        counts.close++;
        await open();
        continue;
      }
      // A batch up to the next frame that closes the socket.
      const batch: Frame[] = [];
      while (start < frames.length && batch.length < BATCH && expectationFor(frames[start]!).answer !== "close")
        batch.push(frames[start++]!);
      const expected = batch.map(expectationFor);
      inbox = [];
      for (const frame of batch) socket.send(frame.data, { binary: frame.binary });
      const answered = expected.filter((e) => e.answer !== "none");
      await waitFor(
        `answers to a batch of ${batch.length}`,
        () => inbox.length >= answered.length || closedWith !== null,
        10_000,
        2,
      );
      expect(closedWith).toBeNull();
      expect(inbox).toHaveLength(answered.length);
      answered.forEach((e, i) => {
        const got = inbox[i];
        if (e.answer === "pong") expect(got, "pong").toEqual({ type: "pong", ...(e.id ? { id: e.id } : {}) });
        else
          expect(got, "error").toMatchObject({ type: "error", error: "invalid-message", message: expect.any(String) });
      });
      for (const e of expected) counts[e.answer as "pong" | "error" | "none"]++;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `WS fuzz: ${frames.length} messages in ${seconds.toFixed(1)} s over ${counts.sockets} sockets — ${counts.pong} pongs, ${counts.error} errors, ${counts.close} closes (oversize/invalid UTF-8), ${counts.none} valid filters (not answered)`,
    );

    // The last socket still works; the gateway counted each refusal once, is healthy, and forgets closed sockets.
    socket.send(JSON.stringify({ type: "ping", id: "last" }));
    await waitFor("last pong", () => inbox.some((m) => m.id === "last"));
    expect(await readCounter(stack, "wx_ws_invalid_messages_total")).toBe(invalidBefore + counts.error);
    expect((await stack.api("GET", "/healthz")).body).toMatchObject({ status: "ok", database: "ok", broker: "ok" });
    socket.close();
    await waitFor(
      "no live sockets left",
      async () => (await readCounter(stack, "wx_ws_clients")) === 0 && stack.gateway.hub.size === 0,
    );
  }, 90_000);
});
