// The NAT-traversal path: the browser may only use a TURN relay (iceTransportPolicy "relay"), through a
// real coturn started here on loopback, and still decodes the camera's video.
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCameraStream, type CameraStream } from "../firmware-sim/src/media/camera-stream.ts";
import {
  chromiumArgs,
  chromiumPath,
  describeTimings,
  hasChromium,
  inboundStats,
  tapWatchAndWaitForPicture,
} from "./helpers/relay-browser.ts";
import { PUBLISH_TOKEN, serveViewer, startRelayStack, type RelayStack } from "./relay-stack.ts";
import { toolInstalled } from "./helpers/tools.ts";
import { iceServerSource, turnRestCredentials } from "../relay/src/ice-servers.ts";

async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

// coturn as a deployment runs it: use-auth-secret (the TURN REST scheme), so it accepts only credentials the
// relay minted with the shared secret, and only until their expiry.
async function startCoturn(port: number, secret: string): Promise<{ process: ChildProcess; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "wx-coturn-"));
  const child = spawn(
    "turnserver",
    [
      "-n",
      "--no-cli",
      "--no-tls",
      "--no-dtls",
      "-L",
      "127.0.0.1",
      "-E",
      "127.0.0.1",
      "-p",
      String(port),
      "--allow-loopback-peers",
      "--use-auth-secret",
      `--static-auth-secret=${secret}`,
      "--realm",
      "wangxiang.test",
      "--fingerprint",
      "--no-multicast-peers",
      "--pidfile",
      join(dir, "turnserver.pid"),
      "--log-file",
      "stdout",
      "--simple-log",
      "--userdb",
      join(dir, "turndb"),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 5000;
  while (!/listener opened on|Total (UDP|General) servers/i.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`coturn did not start:\n${log.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    process: child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const hasCoturn = toolInstalled("coturn");
const TURN_SECRET = "coturn-shared-secret-for-tests";

describe.skipIf(!hasChromium || !hasCoturn)("browser viewer through TURN only (coturn)", () => {
  let turn: Awaited<ReturnType<typeof startCoturn>>;
  let turnUrl: string;
  let stack: RelayStack;
  let camera: CameraStream;
  let browser: Browser;

  beforeAll(async () => {
    const port = await freeUdpPort();
    turnUrl = `turn:127.0.0.1:${port}?transport=udp`;
    turn = await startCoturn(port, TURN_SECRET);
    stack = await startRelayStack({
      setup: serveViewer,
      iceServers: iceServerSource({
        turn: { urls: [`turn:127.0.0.1:${port}?transport=udp`], secret: TURN_SECRET, ttlS: 600 },
      }),
    });
    camera = await startCameraStream({
      whipUrl: stack.whipUrl("cam-turn"),
      token: PUBLISH_TOKEN,
      hostAddresses: ["127.0.0.1"],
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await camera?.stop();
    await stack?.stop();
    await turn?.stop();
  });

  it("decodes video over a relayed candidate pair", async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.baseUrl}/viewer/index.html#camera=cam-turn&token=viewer-turn&ice=relay`);
    const metrics = await tapWatchAndWaitForPicture(page);
    console.log(describeTimings("TURN relay only", metrics));
    const first = await inboundStats(page);
    await page.waitForTimeout(1000);
    const later = await inboundStats(page);
    expect(later.framesDecoded).toBeGreaterThan(first.framesDecoded + 10);
    expect(later.audioPackets).toBeGreaterThan(0);
    const localCandidateType = await page.evaluate(async () => {
      const stats = await (window as unknown as { wangxiang: { pc: RTCPeerConnection } }).wangxiang.pc.getStats();
      let pairLocalId: string | undefined;
      stats.forEach((r) => {
        if (r.type === "transport" && r.selectedCandidatePairId)
          pairLocalId = stats.get(r.selectedCandidatePairId)?.localCandidateId;
      });
      return pairLocalId ? stats.get(pairLocalId)?.candidateType : undefined;
    });
    expect(localCandidateType).toBe("relay");
    await page.close();
  }, 30_000);

  it("coturn refuses TURN credentials that were not minted with its secret", async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.baseUrl}/viewer/index.html`);
    // Gathers relay candidates with the given credentials; Chromium reports the TURN server's error codes.
    const gather = (server: { urls: string | string[]; username: string; credential: string }) =>
      page.evaluate(async (iceServer) => {
        const pc = new window.RTCPeerConnection({ iceServers: [iceServer], iceTransportPolicy: "relay" });
        const errorCodes: number[] = [];
        pc.onicecandidateerror = (event) => void errorCodes.push((event as RTCPeerConnectionIceErrorEvent).errorCode);
        pc.addTransceiver("audio");
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise((resolve) => {
          setTimeout(resolve, 10_000); // then the codes so far decide: a refusal must have shown by now
          if (pc.iceGatheringState === "complete") return resolve(null);
          pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve(null);
        });
        pc.close();
        return { relays: (pc.localDescription?.sdp.match(/typ relay/g) ?? []).length, errorCodes };
      }, server);
    const forged = await gather({
      urls: turnUrl,
      username: `${Math.floor(Date.now() / 1000) + 600}:intruder`,
      credential: "guessed",
    });
    // The same server with credentials minted with its secret: the refusal above is coturn's, not a dead server.
    const minted = await gather({
      ...turnRestCredentials({ urls: [turnUrl], secret: TURN_SECRET, ttlS: 600 }, "turn-test"),
    });
    expect(forged).toEqual({ relays: 0, errorCodes: expect.arrayContaining([401]) });
    expect(minted.relays).toBeGreaterThan(0);
    expect(minted.errorCodes).not.toContain(401);
    await page.close();
  }, 30_000);
});
