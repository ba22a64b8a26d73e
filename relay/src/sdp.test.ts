// The SDP edge on real offers: the simulated camera's and a viewer's (werift, as the camera and the Node
// test viewer make them) and Chromium's (the family's browser). Each answer is handed back to the peer
// that made the offer, which must accept it.
import { chromium } from "playwright-core";
import { MediaStreamTrack, RTCPeerConnection } from "werift";
import { describe, expect, it } from "vitest";
import { cameraPeerConfig } from "../../firmware-sim/src/media/camera-stream.ts";
import { chromiumArgs, chromiumPath, hasChromium } from "../../test/helpers/relay-browser.ts";
import {
  buildAnswer,
  BadOfferError,
  parseOffer,
  peerReceives,
  peerSends,
  producerParameters,
  type AnswerSection,
} from "./sdp.ts";
import { h264OnlyOffer } from "../../test/helpers/sdp-offers.ts";

const transport = {
  iceParameters: { usernameFragment: "relayufrag1234", password: "relaypassword0123456789ab", iceLite: true },
  iceCandidates: [
    {
      foundation: "udpcandidate",
      priority: 1076302079,
      address: "127.0.0.1",
      ip: "127.0.0.1",
      protocol: "udp" as const,
      port: 40000,
      type: "host" as const,
    },
    {
      foundation: "tcpcandidate",
      priority: 1076276479,
      address: "127.0.0.1",
      ip: "127.0.0.1",
      protocol: "tcp" as const,
      port: 40000,
      type: "host" as const,
      tcpType: "passive" as const,
    },
  ],
  dtlsParameters: {
    role: "auto" as const,
    fingerprints: [{ algorithm: "sha-256" as const, value: Array(32).fill("A1").join(":") }],
  },
};

/** What the relay would answer: receive what the peer sends, send one consumer where the peer receives. */
function answerFor(sdp: string): string {
  const offer = parseOffer(sdp);
  const sections: AnswerSection[] = offer.media.map((media, i) => ({
    media,
    receive: peerSends(media),
    send: peerReceives(media)
      ? { codecs: [media.codec], encodings: [{ ssrc: 1000 + i }], headerExtensions: media.headerExtensions }
      : undefined,
  }));
  return buildAnswer(transport, sections, "relay-test");
}

async function weriftOffer(role: "camera" | "viewer"): Promise<{ pc: RTCPeerConnection; sdp: string }> {
  const pc = new RTCPeerConnection(cameraPeerConfig({ hostAddresses: ["127.0.0.1"] }));
  if (role === "camera") {
    pc.addTransceiver(new MediaStreamTrack({ kind: "video" }), { direction: "sendonly" });
    pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendrecv" });
  } else {
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendrecv" });
  }
  await pc.setLocalDescription(await pc.createOffer());
  return { pc, sdp: pc.localDescription!.sdp };
}

describe("SDP ↔ mediasoup RTP parameters", () => {
  it("reads the simulated camera's werift offer: VP8 and Opus sent, DTLS client, SSRCs", async () => {
    const { pc, sdp } = await weriftOffer("camera");
    try {
      const offer = parseOffer(sdp);
      expect(offer.dtlsParameters.role).toBe("client");
      expect(offer.dtlsParameters.fingerprints[0]!.algorithm).toBe("sha-256");
      const [video, audio] = offer.media;
      expect(video).toMatchObject({
        kind: "video",
        direction: "sendonly",
        codec: { mimeType: "video/VP8", payloadType: 96, clockRate: 90_000 },
      });
      expect(audio).toMatchObject({
        kind: "audio",
        direction: "sendrecv",
        codec: { mimeType: "audio/opus", payloadType: 111, channels: 2 },
      });
      expect(video!.ssrc).toBeGreaterThan(0);
      const parameters = producerParameters(video!);
      expect(parameters.mid).toBe(video!.mid);
      expect(parameters.encodings![0]!.ssrc).toBe(video!.ssrc);
      expect(parameters.codecs[0]!.rtcpFeedback!.map((fb) => `${fb.type} ${fb.parameter}`.trim())).toContain(
        "nack pli",
      );
      // The camera receives talk-back on its audio section: the consumer is built for its capabilities.
      expect(offer.rtpCapabilities.codecs!.map((c) => c.mimeType)).toEqual(["audio/opus"]);
      await pc.setRemoteDescription({ type: "answer", sdp: answerFor(sdp) });
      expect(pc.remoteDescription!.sdp).toContain("a=ice-lite");
    } finally {
      await pc.close();
    }
  });

  it("reads a werift viewer's offer and writes an answer it accepts", async () => {
    const { pc, sdp } = await weriftOffer("viewer");
    try {
      const offer = parseOffer(sdp);
      expect(offer.rtpCapabilities.codecs!.map((c) => c.mimeType).sort()).toEqual(["audio/opus", "video/VP8"]);
      const answer = answerFor(sdp);
      expect(answer).toMatch(/a=sendonly/);
      expect(answer).toMatch(/a=setup:passive/);
      expect(answer).toMatch(/a=candidate:\S+ 1 tcp \d+ 127\.0\.0\.1 40000 typ host tcptype passive/);
      await pc.setRemoteDescription({ type: "answer", sdp: answer });
      expect(pc.getTransceivers().map((t) => t.currentDirection)).toEqual(["recvonly", "sendrecv"]);
    } finally {
      await pc.close();
    }
  });

  it("refuses offers the relay cannot forward with a BadOfferError (a 400, never a crash)", () => {
    expect(() => parseOffer("v=0\r\n")).toThrow(BadOfferError);
    expect(() => parseOffer(h264OnlyOffer)).toThrow(/offers no codec the relay forwards \(VP8, H264\)/);
    expect(() => parseOffer(h264OnlyOffer.replace(/a=fingerprint:.*\r\n/, ""))).toThrow(/fingerprint/);
  });

  it.skipIf(!hasChromium)(
    "reads Chromium's viewer offer (transport-cc, REMB, RTX) and Chromium accepts the answer",
    async () => {
      const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
      try {
        const page = await browser.newPage();
        const sdp = await page.evaluate(async () => {
          // window's RTCPeerConnection: this file also imports werift's under that name.
          const pc = new window.RTCPeerConnection({ bundlePolicy: "max-bundle" });
          (window as unknown as { pc: globalThis.RTCPeerConnection }).pc = pc;
          pc.addTransceiver("video", { direction: "recvonly" });
          pc.addTransceiver("audio", { direction: "sendrecv" });
          await pc.setLocalDescription(await pc.createOffer());
          return pc.localDescription!.sdp;
        });
        const offer = parseOffer(sdp);
        const video = offer.media.find((m) => m.kind === "video")!;
        const audio = offer.media.find((m) => m.kind === "audio")!;
        expect(video.codec.mimeType).toBe("video/VP8");
        expect(video.rtx?.payloadType).toBeGreaterThan(0);
        const feedback = video.codec.rtcpFeedback!.map((fb) => `${fb.type} ${fb.parameter}`.trim());
        expect(feedback).toEqual(expect.arrayContaining(["transport-cc", "goog-remb", "nack", "nack pli"]));
        expect(video.headerExtensions.map((e) => e.uri)).toContain(
          "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        );
        expect(audio.direction).toBe("sendrecv");
        expect(audio.ssrc).toBeGreaterThan(0); // Chromium signals its (silent) microphone sender: talk-back needs no renegotiation
        const answer = answerFor(sdp);
        const accepted = await page.evaluate(async (answerSdp) => {
          const pc = (window as unknown as { pc: globalThis.RTCPeerConnection }).pc;
          await pc.setRemoteDescription({ type: "answer", sdp: answerSdp });
          return pc.getTransceivers().map((t) => t.currentDirection);
        }, answer);
        expect(accepted).toEqual(["recvonly", "sendrecv"]);
      } finally {
        await browser.close();
      }
    },
    30_000,
  );
});
