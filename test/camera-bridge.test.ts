// The camera bridge as a real child process (npm run bridge's entry) against a real stack, a real RTSP server
// (GStreamer's, test/helpers/rtsp-camera-server.py, H.264 + PCMA behind digest auth, with an ONVIF backchannel)
// and the test ONVIF device service (test/helpers/onvif-device.ts: Debian has none; it checks the WS-Security
// digest as a camera does). One camera is found through ONVIF; one is a plain RTSP URL with a wrong password.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RTCPeerConnection, RTCRtpCodecParameters, useNACK, usePLI } from "werift";
import { gatheredLocalSdp } from "../core/webrtc.ts";
import { whipDelete, whipPost } from "../device-client/src/whip-client.ts";
import { defaultStillFiles } from "../firmware-sim/src/stills.ts";
import { startOnvifDevice, type OnvifDevice } from "./helpers/onvif-device.ts";
import {
  hasRtspCameraServer,
  startRtspCamera,
  type RtspCamera,
  type RtspCameraOptions,
} from "./helpers/rtsp-camera.ts";
import { startStack, waitFor, type Stack, type TestJson } from "./helpers/stack.ts";

const cameraOptions: RtspCameraOptions = { width: 320, height: 240, fps: 10, bitrateKbps: 200, gop: 1 };

/** A WHEP viewer (werift) that offers what a phone's browser offers for an IP camera: H.264 and PCMA. */
async function startH264Viewer(whepUrl: string, token: string) {
  const pc = new RTCPeerConnection({
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ["127.0.0.1"],
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: "video/H264",
          clockRate: 90_000,
          rtcpFeedback: [useNACK(), usePLI()],
          parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        }),
      ],
      audio: [new RTCRtpCodecParameters({ mimeType: "audio/PCMA", clockRate: 8000, channels: 1, payloadType: 8 })],
    },
  });
  const received = { videoPackets: 0 };
  pc.addTransceiver("video", { direction: "recvonly" }).onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe(() => void received.videoPackets++),
  );
  pc.addTransceiver("audio", { direction: "recvonly" });
  await pc.setLocalDescription(await pc.createOffer());
  const session = await whipPost(whepUrl, token, await gatheredLocalSdp(pc));
  await pc.setRemoteDescription({ type: "answer", sdp: session.answerSdp });
  return {
    get videoPackets() {
      return received.videoPackets;
    },
    async stop() {
      await whipDelete(session.resourceUrl, token).catch(() => {});
      await pc.close();
    },
  };
}

interface BridgeProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<void>;
}

function startBridge(env: Record<string, string>): BridgeProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "camera-bridge/src/main.ts"], {
    env: { ...process.env, LOG_FORMAT: "json", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, output, exited };
}

describe.skipIf(!hasRtspCameraServer())("camera bridge (child process, real RTSP server, test ONVIF service)", () => {
  let stack: Stack;
  let staff: string;
  let rtsp: RtspCamera;
  let onvif: OnvifDevice;
  let bridge: BridgeProcess;
  let bridgeEnv: Record<string, string>;
  let stateDir: string;
  let jpeg: Buffer;
  const ids: { onvif: string; wrongPassword: string } = { onvif: "", wrongPassword: "" };

  const device = async (id: string): Promise<TestJson> =>
    (await stack.api("GET", `/api/v1/devices/${id}`, { token: staff })).body;
  const openAlerts = async (): Promise<TestJson[]> =>
    (await stack.api("GET", "/api/v1/alerts?state=open&limit=100", { token: staff })).body.items;

  beforeAll(async () => {
    stack = await startStack({
      OFFLINE_ALERT_AFTER_S: "1",
      ALERT_CHECK_INTERVAL_S: "0.5",
      COMMAND_TIMEOUT_MS: "8000",
      RELAY_ENABLED: "1",
      RELAY_WORKERS: "1",
      RELAY_HOST_ADDRESSES: "127.0.0.1",
      STREAM_STOP_GRACE_S: "1",
    });
    staff = await stack.login("staff");
    jpeg = await readFile(defaultStillFiles[0]!);
    rtsp = await startRtspCamera(cameraOptions);
    onvif = await startOnvifDevice({
      username: rtsp.user,
      password: rtsp.password,
      streamUri: rtsp.url,
      jpeg,
      reboot: true,
    });
    const installer = await stack.login("installer");
    const [viaOnvif, viaRtsp] = stack.seed.cameras;
    for (const [key, box] of [
      ["onvif", viaOnvif!],
      ["wrongPassword", viaRtsp!],
    ] as const) {
      const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
        token: installer,
        body: { serial: box.serial, claimCode: box.claimCode },
      });
      ids[key] = bound.body.id;
    }
    stateDir = await mkdtemp(join(tmpdir(), "wx-bridge-"));
    const camerasFile = join(stateDir, "cameras.json");
    const cameras = [
      {
        serial: viaOnvif!.serial,
        claimCode: viaOnvif!.claimCode,
        onvif: onvif.url,
        username: rtsp.user,
        password: rtsp.password,
      },
      {
        serial: viaRtsp!.serial,
        claimCode: viaRtsp!.claimCode,
        rtsp: rtsp.url,
        username: rtsp.user,
        password: "wrong",
      },
    ];
    await writeFile(camerasFile, JSON.stringify({ cameras }));
    bridgeEnv = {
      WX_BRIDGE_CAMERAS: camerasFile,
      WX_BRIDGE_GATEWAY_URL: stack.httpUrl,
      WX_BRIDGE_STATE_DIR: join(stateDir, "state"),
      WX_BRIDGE_PROBE_INTERVAL_S: "1",
      WX_BRIDGE_HEARTBEAT_S: "1",
      WX_BRIDGE_HOST_ADDRESSES: "127.0.0.1",
    };
    bridge = startBridge(bridgeEnv);
  }, 60_000);

  afterAll(async () => {
    bridge?.child.kill("SIGTERM");
    await bridge?.exited;
    await Promise.all([rtsp?.stop(), onvif?.close()]);
    await stack?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("claims each camera with its claim code; ONVIF found the stream, the snapshot and the backchannel", async () => {
    const ok = await waitFor(
      "the ONVIF camera online and healthy",
      async () => {
        const d = await device(ids.onvif);
        return d.connection === "online" && d.camera?.health === "ok" && d;
      },
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${bridge.output.join("").slice(-3000)}`);
    });
    expect(ok).toMatchObject({ claimState: "claimed", firmware: "bridge-1", talkback: true, callButton: false });
    const operations = onvif.requests.map((r) => r.operation);
    expect(operations).toEqual(
      expect.arrayContaining(["GetCapabilities", "GetProfiles", "GetStreamUri", "GetSnapshotUri"]),
    );
    expect(onvif.requests.every((r) => r.authorized)).toBe(true);
    expect((await readdir(join(stateDir, "state"))).sort()).toEqual(
      stack.seed.cameras
        .slice(0, 2)
        .map((c) => `${c.serial}.json`)
        .sort(),
    );
  });

  it("a wrong password is reported as such: the device is online, its camera auth-failed, and the alert says so", async () => {
    const d = await waitFor("the wrong password reported", async () => {
      const d = await device(ids.wrongPassword);
      return d.connection === "online" && d.camera?.health === "auth-failed" && d;
    });
    expect(d.camera.detail).toBeTruthy();
    const alert = await waitFor("a camera-auth-failed alert", async () =>
      (await openAlerts()).find((a) => a.deviceId === ids.wrongPassword),
    );
    expect(alert.kind).toBe("camera-auth-failed");
  });

  it("a still comes from the ONVIF snapshot URI, through HTTP digest", async () => {
    const family = await stack.login("family");
    const taken = await stack.api("POST", `/api/v1/devices/${ids.onvif}/snapshots`, { token: family });
    expect(taken.status).toBe(201);
    expect(taken.body.sizeBytes).toBe(jpeg.length);
    expect(onvif.snapshots.some((s) => s.authorized)).toBe(true);
  });

  it("privacy stops streams at the bridge: stream-start is refused while it is on", async () => {
    const commands = stack.gateway.commands;
    const privacyOn = await commands.send(ids.onvif, { name: "privacy", params: { enabled: true } }, "test");
    expect(privacyOn.status).toBe("succeeded");
    const params = { whipUrl: `${stack.httpUrl}/whip/x`, token: "t".repeat(24), iceServers: [] };
    const refused = await commands.send(ids.onvif, { name: "stream-start", params }, "test");
    expect(refused).toMatchObject({ status: "failed", error: "privacy mode is on" });
    const still = await commands.send(
      ids.onvif,
      { name: "take-snapshot", params: { uploadUrl: `${stack.httpUrl}/x`, maxBytes: 1 << 20 } },
      "test",
    );
    expect(still).toMatchObject({ status: "failed", error: "privacy mode is on" });
    await commands.send(ids.onvif, { name: "privacy", params: { enabled: false } }, "test");
    await waitFor("privacy off at the gateway", async () => (await device(ids.onvif)).privacy === false);
  });

  it("a family member watches: the bridge pulls the camera and its H.264 reaches the viewer, then lets go", async () => {
    const family = await stack.login("family");
    const grant = await stack.api("POST", `/api/v1/devices/${ids.onvif}/view`, { token: family });
    expect(grant.status).toBe(200);
    const pullsBefore = rtsp.clientsClosed();
    const viewer = await startH264Viewer(`${stack.httpUrl}/api/v1/whep/${ids.onvif}`, grant.body.token);
    try {
      await waitFor("H.264 from the camera at the viewer", () => viewer.videoPackets > 30, 20_000);
      expect(onvif.keyframeRequests).toContain("main_profile");
    } finally {
      await viewer.stop();
    }
    await waitFor("the bridge lets go of the camera", () => rtsp.clientsClosed() > pullsBefore, 15_000);
  });

  it("reboot goes through ONVIF SystemReboot; a camera without ONVIF answers that it cannot", async () => {
    const rebooted = await stack.gateway.commands.send(ids.onvif, { name: "reboot", params: {} }, "test");
    expect(rebooted.status).toBe("succeeded");
    expect(onvif.reboots).toBe(1);
    const refused = await stack.gateway.commands.send(ids.wrongPassword, { name: "reboot", params: {} }, "test");
    expect(refused.status).toBe("failed");
    expect(refused.error).toMatch(/not supported/);
  });

  it("RTSP server killed: staff see the camera unreachable while the bridge stays online; restarted: healthy again", async () => {
    await rtsp.kill();
    const d = await waitFor(
      "camera unreachable",
      async () => {
        const d = await device(ids.onvif);
        return d.camera?.health === "unreachable" && d;
      },
      20_000,
    );
    expect(d.connection).toBe("online");
    const alert = await waitFor("a camera-unreachable alert", async () =>
      (await openAlerts()).find((a) => a.deviceId === ids.onvif),
    );
    expect(alert.kind).toBe("camera-unreachable");
    const restartedAt = Date.now();
    rtsp = await startRtspCamera({ ...cameraOptions, port: rtsp.port });
    await waitFor("camera healthy again", async () => (await device(ids.onvif)).camera?.health === "ok", 30_000);
    console.log(`RTSP server restart → camera healthy at the gateway: ${Date.now() - restartedAt} ms`);
    await waitFor("the camera alert resolved", async () => !(await openAlerts()).some((a) => a.deviceId === ids.onvif));
  });

  it("bridge killed: the device goes offline (will); restarted: back online with the stored credentials, no new claim", async () => {
    const claimedAt = (await stack.db.device.findUnique({ where: { id: ids.onvif } }))!.claimedAt;
    bridge.child.kill("SIGKILL");
    await bridge.exited;
    await waitFor("bridge offline", async () => (await device(ids.onvif)).connection === "offline", 15_000);
    bridge = startBridge(bridgeEnv);
    await waitFor(
      "back online and healthy",
      async () => {
        const d = await device(ids.onvif);
        return d.connection === "online" && d.camera?.health === "ok";
      },
      30_000,
    );
    expect((await stack.db.device.findUnique({ where: { id: ids.onvif } }))!.claimedAt).toEqual(claimedAt);
    const claims = await stack.db.auditEntry.count({ where: { action: { contains: "claim" }, subject: ids.onvif } });
    expect(claims).toBe(1);
  });
});
