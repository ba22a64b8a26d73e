// The bridge's RTSP side against a real RTSP server (GStreamer's ONVIF server, digest auth): the health probe
// tells the four answers apart, and a session delivers H.264 and PCMA over TCP with the backchannel granted.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { frameFromStream, STILL_FFMPEG_ARGS } from "../camera-bridge/src/ffmpeg-still.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { opusPacketSamples } from "../camera-bridge/src/media/aac-opus.ts";
import { probeRtsp } from "../camera-bridge/src/media/probe.ts";
import { chooseTracks, RtspClient } from "../camera-bridge/src/media/rtsp-client.ts";
import { RtspFeed } from "../camera-bridge/src/media/rtsp-feed.ts";
import { hasRtspCameraServer, startRtspCamera, type RtspCamera } from "./helpers/rtsp-camera.ts";
import { waitFor } from "./helpers/stack.ts";

describe.skipIf(!hasRtspCameraServer())("camera bridge: RTSP against GStreamer's ONVIF server", () => {
  let camera: RtspCamera;
  beforeAll(async () => {
    camera = await startRtspCamera({ gop: 1, width: 640, height: 360, bitrateKbps: 800 });
  });
  afterAll(async () => camera?.stop());
  const account = () => ({ username: camera.user, password: camera.password });

  it("probes: ok, auth-failed, no-stream, unreachable", async () => {
    expect(await probeRtsp(camera.url, account())).toMatchObject({ result: "ok", talkback: true });
    const wrong = await probeRtsp(camera.url, { username: camera.user, password: "wrong" });
    expect(wrong.result).toBe("auth-failed");
    expect(wrong.detail).not.toContain("wrong");
    expect((await probeRtsp(`rtsp://127.0.0.1:${camera.port}/nothing-here`, account())).result).toBe("no-stream");
    // A port nobody listens on: take one and free it.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    expect((await probeRtsp(`rtsp://127.0.0.1:${port}/camera`, account(), { timeoutMs: 2_000 })).result).toBe(
      "unreachable",
    );
    // Credentials in the URL serve as well.
    const inUrl = camera.url.replace("rtsp://", `rtsp://${camera.user}:${camera.password}@`);
    expect((await probeRtsp(inUrl)).result).toBe("ok");
  });

  it("plays H.264 and PCMA interleaved over TCP, with the backchannel", async () => {
    const client = await RtspClient.connect({ url: camera.url, account: account(), backchannel: true });
    const tracks = chooseTracks(await client.describe(), null);
    expect(tracks.video.fmtp["sprop-parameter-sets"]).toBeTruthy();
    expect(tracks.audio?.codec).toBe("PCMA");
    expect(tracks.talkback?.codec).toBe("PCMA");
    const seen = { video: 0, audio: 0 };
    client.onRtp((track) => seen[track.kind]++);
    await client.play([tracks.video, tracks.audio!, tracks.talkback!]);
    await waitFor("video and audio RTP", () => seen.video > 50 && seen.audio > 10, 15_000);
    await client.close();
  });

  it("a feed keeps pulling (and its GOP) for the linger after its last stream, then stops", async () => {
    const feed = new RtspFeed({ url: camera.url, account: account(), lingerMs: 1_500 });
    const listener = { packets: 0, onPacket: () => void listener.packets++ };
    const closedBefore = camera.clientsClosed();
    await feed.acquire(listener);
    await waitFor("a GOP kept", () => listener.packets > 20 && (feed.gop?.length ?? 0) > 0, 10_000);
    await feed.release(listener);
    expect(feed.state).toBe("playing");
    await waitFor("the linger to end the pull", () => feed.state === "stopped", 10_000);
    expect(feed.gop).toBeNull();
    await waitFor("the camera seeing the session end", () => camera.clientsClosed() > closedBefore, 5_000);
  });

  it("a still cut from the stream is a JPEG, and no process on the box shows the camera's URL or password", async () => {
    // What `ps` shows: the command line in /proc, read while ffmpeg waits for the keyframe on stdin.
    const seen: string[] = [];
    const jpeg = await frameFromStream(camera.url, account(), {
      onEncoderStarted: (pid) => seen.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")),
    });
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(seen).toHaveLength(1);
    for (const args of seen) {
      expect(args).not.toContain(camera.password);
      expect(args).not.toContain("rtsp://");
    }
    expect(STILL_FFMPEG_ARGS.join(" ")).toBe(seen[0]!.replace(/^ffmpeg /, "").trim());
    await expect(frameFromStream(camera.url, account(), { ffmpeg: "/nonexistent/ffmpeg" })).rejects.toThrow(
      "no snapshot URI, and ffmpeg is not installed",
    );
  });

  describe("a camera that sends AAC (its backchannel in µ-law)", () => {
    let aacCamera: RtspCamera;
    beforeAll(async () => {
      aacCamera = await startRtspCamera({ audio: "aac", backchannelLaw: "pcmu", gop: 1, width: 320, height: 240 });
    });
    afterAll(async () => aacCamera?.stop());
    const aacAccount = () => ({ username: aacCamera.user, password: aacCamera.password });

    it("is healthy with its audio as Opus; on a box without ffmpeg, healthy with the audio off and why", async () => {
      const withFfmpeg = await probeRtsp(aacCamera.url, aacAccount());
      expect(withFfmpeg).toMatchObject({ result: "ok", detail: "H.264 + AAC (as Opus)", audioOff: null });
      // Viewers talk in Opus, decoded by ffmpeg for the camera's µ-law speaker.
      expect(withFfmpeg.talkback).toBe(true);
      const without = await probeRtsp(aacCamera.url, aacAccount(), { ffmpeg: "/nonexistent/ffmpeg" });
      expect(without).toMatchObject({ result: "ok", audioOff: "AAC audio is off: ffmpeg is not installed" });
      expect(without.detail).toBe("H.264; AAC audio is off: ffmpeg is not installed");
      expect(without.talkback).toBe(true);
    });

    it("a feed turns the camera's AAC into 20 ms Opus packets next to its H.264", async () => {
      const feed = new RtspFeed({ url: aacCamera.url, account: aacAccount() });
      const opus: Buffer[] = [];
      let video = 0;
      const listener = {
        onPacket: (kind: "video" | "audio", { packet }: { packet: { payload: Buffer } }) =>
          kind === "audio" ? opus.push(packet.payload) : void video++,
      };
      await feed.acquire(listener);
      try {
        await waitFor("Opus audio and H.264 video", () => opus.length >= 50 && video > 20, 15_000);
        expect(opus.every((packet) => opusPacketSamples(packet) === 960)).toBe(true);
      } finally {
        await feed.release(listener);
      }
    });
  });
});
