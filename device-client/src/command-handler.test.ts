// Command handling without MQTT: payloads in, responses and camera actions out. The media part and the
// firmware download are the real ones (against a closed port and a local HTTP server).
import { randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandRequestMessage, CommandResponseMessage, DeviceEventMessage } from "../../protocol/index.ts";
import { sha256Of, startFileServer } from "../../test/helpers/sim-helpers.ts";
import { createStreamControl } from "./stream-control.ts";
import { zeroCounters } from "./device-types.ts";
import { CallPanel } from "./call-panel.ts";
import { CommandHandler } from "./command-handler.ts";
import { silentLogger } from "./log.ts";
import { StillUploader } from "./stills.ts";
import { startCameraStream } from "../../firmware-sim/src/media/camera-stream.ts";
import { ClipStills } from "../../firmware-sim/src/stills.ts";

const responseTopic = "devices/cam_abcdefabcdef/cmd/response";
const image = randomBytes(4096);
let files: Awaited<ReturnType<typeof startFileServer>>;

beforeAll(async () => {
  files = await startFileServer({ "/fw-2.0.0.bin": image });
});
afterAll(() => files.close());

function command(
  body: Pick<CommandRequestMessage, "name" | "params">,
  overrides: Partial<CommandRequestMessage> = {},
): string {
  return JSON.stringify({
    ...body,
    correlationId: randomBytes(6).toString("hex"),
    responseTopic,
    expiresAt: new Date(Date.now() + 30_000).toISOString(),
    ...overrides,
  });
}

/** A camera's worth of actions that record what they were asked to do. */
function camera() {
  const log = silentLogger();
  const counters = zeroCounters();
  const did: string[] = [];
  const events: DeviceEventMessage[] = [];
  const responses: CommandResponseMessage[] = [];
  const state = { firmware: "1.4.2", persistedFirmware: "1.4.2", privacy: false };
  const publishEvent = async (event: DeviceEventMessage) => void events.push(event);
  const media = createStreamControl({
    log,
    publishEvent,
    hostAddresses: ["127.0.0.1"],
    startStream: startCameraStream,
  });
  const calls = new CallPanel();
  const clipStills = new ClipStills();
  const handler = new CommandHandler({
    log: () => log,
    counters,
    media,
    publishEvent,
    firmware: {
      get: () => state.firmware,
      set: (v) => void (state.firmware = v),
      persist: async () => void (state.persistedFirmware = state.firmware),
    },
    privacy: () => state.privacy,
    setPrivacy: async (enabled) => void did.push(`privacy ${enabled}`),
    reboot: async () => void did.push("reboot"),
    callStatus: (status) => calls.onStatus(status),
    elderNotice: (notice) => calls.onNotice(notice),
    clock: () => new Date(Date.now() + 90_000),
    rssi: () => -67,
    stills: new StillUploader({ takeStill: () => clipStills.take() }),
  });
  const life = new AbortController();
  const handle = (payload: string) =>
    handler.handle(payload, async (_topic, response) => void responses.push(response), life.signal);
  return { handle, counters, did, events, responses, state, media, life, calls };
}

describe("CommandHandler", () => {
  it("answers clock-probe with the camera's own clock and Wi-Fi signal", async () => {
    const cam = camera();
    const before = Date.now();
    await cam.handle(command({ name: "clock-probe", params: {} }));
    const result = cam.responses[0]?.result as { at: string; rssi: number };
    expect(cam.responses[0]?.ok).toBe(true);
    expect(Date.parse(result.at) - before).toBeGreaterThanOrEqual(89_000);
    expect(result.rssi).toBe(-67);
  });

  it("refuses the on-site check's stream in privacy mode, and reports a stream that cannot start", async () => {
    const cam = camera();
    const params = { whipUrl: "http://127.0.0.1:9/whip/cam", token: "t".repeat(20), iceServers: [], durationS: 10 };
    cam.state.privacy = true;
    await cam.handle(command({ name: "site-check", params }));
    expect(cam.responses[0]).toMatchObject({ ok: false, error: "privacy mode is on" });
    cam.state.privacy = false;
    await cam.handle(command({ name: "site-check", params }));
    expect(cam.responses[1]).toMatchObject({ ok: false });
    expect(cam.responses[1]?.error).toMatch(/^stream did not start/);
    expect(cam.events.map((e) => e.type)).toEqual(["stream-failed"]);
  });

  it("plays call-status on the call panel: ring-back, who answered, ringing, missed", async () => {
    const cam = camera();
    await cam.handle(command({ name: "call-status", params: { callId: "call_1", state: "calling-family" } }));
    expect(cam.calls.snapshot()).toMatchObject({ state: "calling-family", callId: "call_1", answeredBy: null });
    await cam.handle(command({ name: "call-status", params: { callId: "call_1", state: "answered", by: "杨小梅" } }));
    expect(cam.calls.snapshot()).toMatchObject({ state: "in-call", answeredBy: "杨小梅" });
    await cam.handle(command({ name: "call-status", params: { callId: "call_2", state: "ringing", by: "杨小梅" } }));
    expect(cam.calls.snapshot().state).toBe("ringing");
    await cam.handle(command({ name: "call-status", params: { callId: "call_2", state: "missed" } }));
    expect(cam.calls.snapshot()).toMatchObject({ state: "idle", callId: "call_2" });
    expect(cam.calls.snapshot().log.map((e) => e.state)).toEqual(["calling-family", "answered", "ringing", "missed"]);
    expect(cam.responses.every((r) => r.ok)).toBe(true);
    await cam.handle(command({ name: "call-status", params: { callId: "call_3", state: "shouting" } } as never));
    expect(cam.counters.invalidCommands).toBe(1);
  });

  it("runs a command and answers on its response topic with its correlation id", async () => {
    const cam = camera();
    const payload = command({ name: "privacy", params: { enabled: true } });
    await cam.handle(payload);
    expect(cam.responses).toEqual([
      { correlationId: JSON.parse(payload).correlationId, ok: true, result: { privacy: true } },
    ]);
    expect(cam.did).toEqual(["privacy true"]);
    expect(cam.counters.commandsHandled).toBe(1);
  });

  it("a command delivered twice runs once and is answered again with the first answer", async () => {
    const cam = camera();
    const payload = command({ name: "reboot", params: {} });
    await cam.handle(payload);
    await cam.handle(payload);
    expect(cam.did).toEqual(["reboot"]);
    expect(cam.responses).toHaveLength(2);
    expect(cam.responses[1]).toEqual(cam.responses[0]);
    expect(cam.counters).toMatchObject({ commandsHandled: 1, duplicateCommands: 1 });
  });

  it("remembers the last hundred commands: an older repeat runs again", async () => {
    const cam = camera();
    const first = command({ name: "view-notice", params: { viewers: [] } });
    await cam.handle(first);
    for (let i = 0; i < 100; i++) await cam.handle(command({ name: "view-notice", params: { viewers: [] } }));
    await cam.handle(first);
    expect(cam.counters).toMatchObject({ commandsHandled: 102, duplicateCommands: 0 });
  });

  it("drops an expired command without an answer; answers an invalid one when it can read where to", async () => {
    const cam = camera();
    await cam.handle(command({ name: "reboot", params: {} }, { expiresAt: new Date(Date.now() - 1).toISOString() }));
    await cam.handle(
      JSON.stringify({ name: "privacy", params: { enabled: "yes" }, correlationId: "c1", responseTopic }),
    );
    await cam.handle("garbage");
    expect(cam.did).toEqual([]);
    expect(cam.responses).toEqual([
      { correlationId: "c1", ok: false, error: expect.stringMatching(/^invalid command: /) },
    ]);
    expect(cam.counters).toMatchObject({ expiredCommands: 1, invalidCommands: 2, commandsHandled: 0 });
  });

  it("view-notice switches the light and announces it once per change", async () => {
    const cam = camera();
    await cam.handle(command({ name: "view-notice", params: { viewers: ["大儿子"] } }));
    await cam.handle(command({ name: "view-notice", params: { viewers: ["大儿子"] } }));
    await cam.handle(command({ name: "view-notice", params: { viewers: [] } }));
    expect(cam.events.map((e) => e.type === "viewing-indicator" && e.on)).toEqual([true, false]);
    expect(cam.media.snapshot().indicator).toEqual({ on: false, viewers: [] });
  });

  describe("stream-start", () => {
    const params = { whipUrl: "http://127.0.0.1:1/whip/cam", token: "t".repeat(32), iceServers: [] };

    it("is refused in privacy mode, without touching the media", async () => {
      const cam = camera();
      cam.state.privacy = true;
      await cam.handle(command({ name: "stream-start", params }));
      expect(cam.responses[0]).toMatchObject({ ok: false, error: "privacy mode is on" });
      expect(cam.events).toEqual([]);
    });

    it("a stream that cannot start is answered ok:false and announced as stream-failed", async () => {
      const cam = camera();
      await cam.handle(command({ name: "stream-start", params }));
      expect(cam.responses[0]).toMatchObject({ ok: false, error: expect.stringMatching(/^stream did not start: /) });
      expect(cam.events.map((e) => e.type)).toEqual(["stream-failed"]);
      expect(cam.media.snapshot().streaming).toBe(false);
    });
  });

  describe("firmware-update", () => {
    const update = (sha256: string, path = "/fw-2.0.0.bin") =>
      command({ name: "firmware-update", params: { url: files.url + path, sha256, version: "2.0.0" } });

    it("verified: keeps the version, answers {from, to}, announces it, then reboots", async () => {
      const cam = camera();
      await cam.handle(update(sha256Of(image)));
      expect(cam.responses[0]).toMatchObject({ ok: true, result: { from: "1.4.2", to: "2.0.0" } });
      expect(cam.state).toMatchObject({ firmware: "2.0.0", persistedFirmware: "2.0.0" });
      expect(cam.events).toMatchObject([{ type: "firmware-updated", from: "1.4.2", to: "2.0.0" }]);
      expect(cam.did).toEqual(["reboot"]);
    });

    it("a wrong digest: ok:false, no reboot, version unchanged", async () => {
      const cam = camera();
      await cam.handle(update("0".repeat(64)));
      expect(cam.responses[0]).toMatchObject({ ok: false, error: "sha256 mismatch" });
      expect(cam.state.firmware).toBe("1.4.2");
      expect(cam.did).toEqual([]);
    });

    it("a second update while one downloads is answered busy", async () => {
      const held: ServerResponse[] = [];
      const slow = createServer((_request, response) => void held.push(response));
      await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/fw.bin`;
      const cam = camera();
      const first = cam.handle(
        command({ name: "firmware-update", params: { url, sha256: sha256Of(image), version: "2.0.0" } }),
      );
      await expect.poll(() => held.length).toBe(1);
      await cam.handle(update(sha256Of(image)));
      expect(cam.responses).toMatchObject([{ ok: false, error: "busy: a firmware update is already in progress" }]);
      held[0]!.writeHead(200, { "content-length": image.length }).end(image);
      await first;
      expect(cam.responses[1]).toMatchObject({ ok: true, result: { to: "2.0.0" } });
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    });

    it("a life that ends during the download answers nothing and does not reboot", async () => {
      const held: ServerResponse[] = [];
      const slow = createServer((_request, response) => void held.push(response));
      await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/fw.bin`;
      const cam = camera();
      const first = cam.handle(
        command({ name: "firmware-update", params: { url, sha256: sha256Of(image), version: "2.0.0" } }),
      );
      await expect.poll(() => held.length).toBe(1);
      cam.life.abort();
      await first;
      expect(cam.responses).toEqual([]);
      expect(cam.did).toEqual([]);
      held[0]!.destroy();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    });
  });

  describe("take-snapshot", () => {
    /** Plays the gateway's upload route: records each PUT, answers with the status and code it is told to. */
    async function uploadTarget(answer: { status: number; error?: string }) {
      const received: { method: string; contentType: string | undefined; body: Buffer }[] = [];
      const server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
          received.push({
            method: request.method!,
            contentType: request.headers["content-type"],
            body: Buffer.concat(chunks),
          });
          const body = answer.error ? { error: answer.error, message: "refused" } : { id: "snp_1" };
          response.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(body));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const uploadUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/devices/cam_abcdefabcdef/snapshot-uploads/secret-token-1234`;
      const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
      return { received, uploadUrl, close };
    }

    it("PUTs a real JPEG (SOI first, EOI last) to the upload URL, then answers ok", async () => {
      const target = await uploadTarget({ status: 201 });
      const cam = camera();
      await cam.handle(
        command({ name: "take-snapshot", params: { uploadUrl: target.uploadUrl, maxBytes: 512 * 1024 } }),
      );
      expect(target.received).toHaveLength(1);
      const [upload] = target.received;
      expect(upload).toMatchObject({ method: "PUT", contentType: "image/jpeg" });
      expect([...upload!.body.subarray(0, 2)]).toEqual([0xff, 0xd8]);
      expect([...upload!.body.subarray(-2)]).toEqual([0xff, 0xd9]);
      expect(cam.responses).toEqual([
        { correlationId: expect.any(String), ok: true, result: { bytes: upload!.body.length } },
      ]);
      expect(cam.counters).toMatchObject({ stillsPosted: 1, stillsRefused: 0 });
      await target.close();
    });

    it("refuses in privacy mode without uploading, and reports a refused upload by its code without the URL", async () => {
      const target = await uploadTarget({ status: 409, error: "snapshot-token-used" });
      const cam = camera();
      cam.state.privacy = true;
      await cam.handle(
        command({ name: "take-snapshot", params: { uploadUrl: target.uploadUrl, maxBytes: 512 * 1024 } }),
      );
      expect(target.received).toHaveLength(0);
      expect(cam.responses[0]).toMatchObject({ ok: false, error: "privacy mode is on" });
      cam.state.privacy = false;
      await cam.handle(
        command({ name: "take-snapshot", params: { uploadUrl: target.uploadUrl, maxBytes: 512 * 1024 } }),
      );
      expect(cam.responses[1]).toMatchObject({
        ok: false,
        error: "still not posted: upload refused: 409 snapshot-token-used",
      });
      await cam.handle(command({ name: "take-snapshot", params: { uploadUrl: target.uploadUrl, maxBytes: 1024 } }));
      expect(cam.responses[2]).toMatchObject({ ok: false, error: expect.stringMatching(/is over 1024$/) });
      expect(JSON.stringify(cam.responses)).not.toContain("secret-token");
      expect(cam.counters).toMatchObject({ stillsPosted: 0, stillsRefused: 3 });
      await target.close();
    });
  });
});
