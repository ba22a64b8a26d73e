// An IP camera through the bridge and the relay into Chromium: GStreamer's ONVIF RTSP server (H.264 + PCMA,
// audio backchannel, digest auth) → the bridge's RTSP pull and WHIP → mediasoup → a WHEP viewer in Chromium
// that decodes H.264, receives PCMA and talks back in PCMA to the camera's backchannel. Then the camera is
// killed and started again mid-stream, and a wrong password is told apart. Two more cameras: one sending AAC
// (heard as Opus through the bridge's ffmpeg), one whose backchannel takes µ-law (the bridge converts the A-law).
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRtspStream, type RtspCameraStream } from "../camera-bridge/src/media/rtsp-stream.ts";
import { RtspError } from "../camera-bridge/src/media/rtsp-connection.ts";
import { chromiumArgs, chromiumPath, hasChromium } from "./helpers/relay-browser.ts";
import { hasRtspCameraServer, startRtspCamera, type RtspCamera } from "./helpers/rtsp-camera.ts";
import { waitFor, waitForProgress } from "./helpers/stack.ts";
import { pageMedia, tapToFirstFrameMs, watchInPage } from "./helpers/whep-page.ts";
import { PUBLISH_TOKEN, startRelayStack, type RelayStack } from "./relay-stack.ts";

describe.skipIf(!hasChromium || !hasRtspCameraServer())("camera bridge → relay → Chromium", () => {
  let camera: RtspCamera;
  let stack: RelayStack;
  let browser: Browser;
  let page: Page;
  let stream: RtspCameraStream | undefined;
  let streamStarting: Promise<RtspCameraStream> | undefined;

  beforeAll(async () => {
    [camera, stack, browser] = await Promise.all([
      startRtspCamera({ gop: 2, width: 640, height: 360, bitrateKbps: 800 }),
      startRelayStack({
        // The gateway would ask the bridge over MQTT; here the viewer's arrival starts the pull directly.
        onViewerJoined: () => {
          streamStarting ??= startRtspStream({
            whipUrl: stack.whipUrl("ipcam"),
            token: PUBLISH_TOKEN,
            hostAddresses: ["127.0.0.1"],
            rtspUrl: camera.url,
            account: { username: camera.user, password: camera.password },
            backoff: { baseMs: 200, capMs: 1_000 },
          });
          void streamStarting.then((s) => (stream = s));
        },
      }),
      chromium.launch({ executablePath: chromiumPath, args: chromiumArgs }),
    ]);
    page = await browser.newPage();
    await page.goto(`${stack.baseUrl}/api/v1/whep/ipcam`).catch(() => undefined);
  });

  afterAll(async () => {
    await stream?.stop();
    await browser?.close();
    await stack?.stop();
    await camera?.stop();
  });

  it("decodes the camera's H.264, receives its PCMA, and talk-back reaches its backchannel", async () => {
    await watchInPage(page, stack.whepUrl("ipcam"), "viewer-family");
    const firstFrameMs = await tapToFirstFrameMs(page);
    console.log(`IP camera (GOP 2 s, cold): tap → first decoded frame ${firstFrameMs.toFixed(0)} ms`);
    await waitFor("30 frames decoded and PCMA audio", async () => {
      const media = await pageMedia(page);
      return media.framesDecoded >= 30 && media.audioPacketsReceived > 50 && media;
    });
    const media = await pageMedia(page);
    expect(media.videoCodec).toBe("video/H264");
    expect(media.audioCodec).toBe("audio/PCMA");
    expect(media.microphoneCodec).toBe("audio/PCMA");
    expect(stream!.talkback).toBe(true);
    // Chromium's fake microphone beeps: the camera decodes A-law that is not silence.
    await waitFor("talk-back at the camera's backchannel", () => camera.backchannel().buffers > 25, 15_000);
    expect(camera.backchannel().rms).toBeGreaterThan(100);
    expect(stream!.stats().talkbackPacketsReceived).toBeGreaterThan(25);
  });

  it("a second viewer joining mid-GOP gets the bridge's kept GOP instead of waiting for the camera's keyframe", async () => {
    const replays = stream!.stats().keyframesFromCache;
    const second = await browser.newPage();
    await second.goto(`${stack.baseUrl}/api/v1/whep/ipcam`).catch(() => undefined);
    await watchInPage(second, stack.whepUrl("ipcam"), "viewer-second");
    console.log(
      `second viewer (GOP 2 s, mid-GOP): tap → first decoded frame ${(await tapToFirstFrameMs(second)).toFixed(0)} ms`,
    );
    expect(stream!.stats().keyframesFromCache).toBeGreaterThan(replays);
    await second.close();
  });

  it("comes back on its own when the camera is killed and started again mid-stream", async () => {
    const port = camera.port;
    await camera.kill();
    await waitFor("the bridge noticing", () => stream!.rtspState() === "reconnecting", 10_000);
    camera = await startRtspCamera({ port, gop: 2, width: 640, height: 360, bitrateKbps: 800 });
    await waitFor("the pull playing again", () => stream!.rtspState() === "playing", 20_000);
    expect(stream!.rtspReconnects()).toBe(1);
    const before = (await pageMedia(page)).framesDecoded;
    await waitForProgress(
      "frames decoded after the restart",
      async () => (await pageMedia(page)).framesDecoded,
      before + 25,
    );
  });

  it("a camera without a backchannel: no talk-back, and the viewer's audio is answered receive-only", async () => {
    const mute = await startRtspCamera({ backchannel: false, gop: 1, width: 320, height: 180, bitrateKbps: 300 });
    const silent = await startRtspStream({
      whipUrl: stack.whipUrl("ipcam-no-speaker"),
      token: PUBLISH_TOKEN,
      hostAddresses: ["127.0.0.1"],
      rtspUrl: mute.url,
      account: { username: mute.user, password: mute.password },
    });
    const other = await browser.newPage();
    try {
      expect(silent.talkback).toBe(false);
      expect(silent.codecs).toMatchObject({ audio: "PCMA", talkback: null });
      await other.goto(`${stack.baseUrl}/api/v1/whep/ipcam-no-speaker`).catch(() => undefined);
      await watchInPage(other, stack.whepUrl("ipcam-no-speaker"), "viewer-no-speaker");
      // What the app reads to say 这台摄像头不能对讲: its audio transceiver may receive but not send.
      const directions = await other.evaluate(() =>
        (window as unknown as { pc: RTCPeerConnection }).pc.getTransceivers().map((t) => t.currentDirection),
      );
      expect(directions).toEqual(["recvonly", "recvonly"]);
      await tapToFirstFrameMs(other);
    } finally {
      await other.close();
      await silent.stop();
      await mute.stop();
    }
  });

  it("a camera that sends AAC: its audio arrives as Opus, its H.264 untouched, and the viewer's Opus reaches its A-law speaker", async () => {
    const aacCamera = await startRtspCamera({ audio: "aac", gop: 1, width: 320, height: 180, bitrateKbps: 300 });
    const aacStream = await startRtspStream({
      whipUrl: stack.whipUrl("ipcam-aac"),
      token: PUBLISH_TOKEN,
      hostAddresses: ["127.0.0.1"],
      rtspUrl: aacCamera.url,
      account: { username: aacCamera.user, password: aacCamera.password },
    });
    const other = await browser.newPage();
    try {
      expect(aacStream.codecs.audio).toBe("AAC as OPUS");
      await other.goto(`${stack.baseUrl}/api/v1/whep/ipcam-aac`).catch(() => undefined);
      await watchInPage(other, stack.whepUrl("ipcam-aac"), "viewer-aac");
      await tapToFirstFrameMs(other);
      const first = await waitFor("Opus audio arriving", async () => {
        const media = await pageMedia(other);
        return media.audioPacketsReceived > 25 && media;
      });
      expect(first.audioCodec).toBe("audio/opus");
      expect(first.videoCodec).toBe("video/H264");
      await waitForProgress(
        "Opus bytes growing",
        async () => (await pageMedia(other)).audioBytesReceived,
        first.audioBytesReceived + 2_000,
      );
      expect(first.microphoneCodec).toBe("audio/opus");
      expect(aacStream.talkback).toBe(true);
      await waitFor(
        "talk-back decoded at the camera's backchannel",
        () => aacCamera.backchannel().buffers > 25,
        15_000,
      );
      expect(aacCamera.backchannel().rms).toBeGreaterThan(100);
      expect(aacCamera.backchannel().quiet).toBeGreaterThan(0.5);
    } finally {
      await other.close();
      await aacStream.stop();
      await aacCamera.stop();
    }
  });

  it("a camera that sends A-law but whose speaker takes µ-law hears the viewer (the bridge converts)", async () => {
    const mixed = await startRtspCamera({ backchannelLaw: "pcmu", gop: 1, width: 320, height: 180, bitrateKbps: 300 });
    const mixedStream = await startRtspStream({
      whipUrl: stack.whipUrl("ipcam-mulaw-speaker"),
      token: PUBLISH_TOKEN,
      hostAddresses: ["127.0.0.1"],
      rtspUrl: mixed.url,
      account: { username: mixed.user, password: mixed.password },
    });
    const other = await browser.newPage();
    try {
      expect(mixedStream.codecs).toMatchObject({ audio: "PCMA", talkback: "PCMU" });
      expect(mixedStream.talkback).toBe(true);
      await other.goto(`${stack.baseUrl}/api/v1/whep/ipcam-mulaw-speaker`).catch(() => undefined);
      await watchInPage(other, stack.whepUrl("ipcam-mulaw-speaker"), "viewer-mulaw");
      await waitFor("the viewer sending A-law", async () => (await pageMedia(other)).microphonePacketsSent > 25);
      expect((await pageMedia(other)).microphoneCodec).toBe("audio/PCMA");
      // The camera decodes what arrives as µ-law: A-law bytes passed through would turn the silence between the
      // fake microphone's beeps into noise; converted, the silence stays silent.
      await waitFor("talk-back at the µ-law backchannel", () => mixed.backchannel().buffers > 25, 15_000);
      // Measured: converted, 77 % of samples near silence (the beep's gaps); A-law read as µ-law, 4.5 %.
      expect(mixed.backchannel().rms).toBeGreaterThan(100);
      expect(mixed.backchannel().quiet).toBeGreaterThan(0.5);
    } finally {
      await other.close();
      await mixedStream.stop();
      await mixed.stop();
    }
  });

  it("tells a wrong password apart", async () => {
    const failure = await startRtspStream({
      whipUrl: stack.whipUrl("ipcam-2"),
      token: PUBLISH_TOKEN,
      hostAddresses: ["127.0.0.1"],
      rtspUrl: camera.url,
      account: { username: camera.user, password: "not-the-password" },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RtspError);
    expect((failure as RtspError).failure).toBe("auth-failed");
  });
});
