// A bare WHEP viewer in Chromium (page.evaluate on a page of the relay's origin): receives the camera's video
// and audio, sends the fake microphone (a beep) for talk-back, and reads getStats for codecs and frames.
import type { Page } from "playwright-core";

export interface PageMedia {
  framesDecoded: number;
  videoCodec: string | null;
  audioCodec: string | null;
  audioPacketsReceived: number;
  audioBytesReceived: number;
  microphoneCodec: string | null;
  microphonePacketsSent: number;
}

/** Taps "watch": returns when the answer is applied; `window.firstFrameAt` is set at the first decoded frame. */
export async function watchInPage(page: Page, whepUrl: string, token: string): Promise<void> {
  await page.evaluate(
    async ({ whepUrl, token }) => {
      const w = window as unknown as Record<string, unknown>;
      w.tapAt = performance.now();
      const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
      w.pc = pc;
      pc.addTransceiver("video", { direction: "recvonly" });
      const microphone = await navigator.mediaDevices.getUserMedia({ audio: true });
      pc.addTransceiver(microphone.getAudioTracks()[0]!, { direction: "sendrecv" });
      const video = document.createElement("video");
      video.muted = true;
      video.autoplay = true;
      document.body.append(video);
      pc.ontrack = (event) => {
        if (event.track.kind !== "video") return;
        video.srcObject = new MediaStream([event.track]);
        video.requestVideoFrameCallback(() => (w.firstFrameAt = performance.now()));
      };
      await pc.setLocalDescription(await pc.createOffer());
      const reply = await fetch(whepUrl, {
        method: "POST",
        headers: { "content-type": "application/sdp", authorization: `Bearer ${token}` },
        body: pc.localDescription!.sdp,
      });
      if (reply.status !== 201) throw new Error(`WHEP ${reply.status}: ${await reply.text()}`);
      await pc.setRemoteDescription({ type: "answer", sdp: await reply.text() });
    },
    { whepUrl, token },
  );
}

export async function tapToFirstFrameMs(page: Page, timeoutMs = 20_000): Promise<number> {
  await page.waitForFunction(() => (window as unknown as { firstFrameAt?: number }).firstFrameAt, undefined, {
    timeout: timeoutMs,
  });
  return page.evaluate(() => {
    const w = window as unknown as { firstFrameAt: number; tapAt: number };
    return w.firstFrameAt - w.tapAt;
  });
}

export async function pageMedia(page: Page): Promise<PageMedia> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    const reports = new Map<string, Record<string, unknown>>();
    (await pc.getStats()).forEach((report: Record<string, unknown>) => reports.set(report.id as string, report));
    const codecOf = (report: Record<string, unknown> | undefined) =>
      report?.codecId ? ((reports.get(report.codecId as string)?.mimeType as string) ?? null) : null;
    const find = (type: string, kind: string) => [...reports.values()].find((r) => r.type === type && r.kind === kind);
    const video = find("inbound-rtp", "video");
    const audio = find("inbound-rtp", "audio");
    const microphone = find("outbound-rtp", "audio");
    return {
      framesDecoded: (video?.framesDecoded as number) ?? 0,
      videoCodec: codecOf(video),
      audioCodec: codecOf(audio),
      audioPacketsReceived: (audio?.packetsReceived as number) ?? 0,
      audioBytesReceived: (audio?.bytesReceived as number) ?? 0,
      microphoneCodec: codecOf(microphone),
      microphonePacketsSent: (microphone?.packetsSent as number) ?? 0,
    };
  });
}
