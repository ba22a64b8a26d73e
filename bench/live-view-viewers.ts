// A process of werift viewers for the live-view benchmark, kept apart from the SFU under test so that
// their own SRTP and RTP work is not counted against it. Two ways in: our relay (WHEP: POST an offer,
// get the answer) and Janus's streaming plugin (HTTP API: create a session, attach, "watch", answer
// Janus's offer, "start"). Started with fork(); told what to do over IPC, reports counters back.
import { RTCPeerConnection, useOPUS, useVP8, type MediaStreamTrack } from "werift";
import { gatheredLocalSdp } from "../core/webrtc.ts";
import { whipDelete, whipPost } from "../device-client/src/whip-client.ts";

export type ViewerJob =
  | { kind: "relay"; whepUrl: string; count: number; tokenPrefix: string }
  | { kind: "janus"; janusUrl: string; mountpointId: number; count: number };

export type ViewerReport =
  | { type: "ready"; connected: number }
  | { type: "counters"; videoPackets: number; audioPackets: number; expectedPackets: number; receivedPackets: number }
  | { type: "error"; message: string };

/** Per received track: packets received and packets expected from the RTP sequence numbers (RFC 3550 A.3). */
class SequenceCounter {
  private base = -1;
  private highest = 0; // extended
  received = 0;
  add(sequenceNumber: number): void {
    this.received++;
    if (this.base < 0) {
      this.base = sequenceNumber;
      this.highest = sequenceNumber;
      return;
    }
    const cycle = this.highest & ~0xffff;
    let extended = cycle | sequenceNumber;
    if (extended < this.highest - 0x8000) extended += 0x10000;
    else if (extended > this.highest + 0x8000) extended -= 0x10000;
    if (extended > this.highest) this.highest = extended;
  }
  get expected(): number {
    return this.base < 0 ? 0 : this.highest - this.base + 1;
  }
}

interface Viewer {
  counters: { video: number; audio: number; sequences: SequenceCounter[] };
  connected: Promise<void>;
  stop(): Promise<void>;
}

const peerConfig = () => ({
  codecs: { video: [useVP8({ payloadType: 96 })], audio: [useOPUS({ payloadType: 111 })] },
  iceUseIpv4: false,
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ["127.0.0.1"],
});

function countTrack(track: MediaStreamTrack, counters: Viewer["counters"]): void {
  const sequence = new SequenceCounter();
  counters.sequences.push(sequence);
  track.onReceiveRtp.subscribe((rtp) => {
    sequence.add(rtp.header.sequenceNumber);
    if (track.kind === "video") counters.video++;
    else counters.audio++;
  });
}

function countMedia(pc: RTCPeerConnection, counters: Viewer["counters"]): Promise<void> {
  pc.onTransceiverAdded.subscribe((t) => t.onTrack.subscribe((track) => countTrack(track, counters)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`viewer not receiving after 60 s (${pc.connectionState})`)),
      60_000,
    );
    const check = setInterval(() => {
      if (counters.video > 0 && counters.audio > 0) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 50);
  });
}

async function relayViewer(whepUrl: string, token: string): Promise<Viewer> {
  const pc = new RTCPeerConnection(peerConfig());
  const counters: Viewer["counters"] = { video: 0, audio: 0, sequences: [] };
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const connected = countMedia(pc, counters);
  // The transceivers above exist before onTransceiverAdded is subscribed: hook their tracks directly.
  for (const t of pc.getTransceivers()) t.onTrack.subscribe((track) => countTrack(track, counters));
  await pc.setLocalDescription(await pc.createOffer());
  const session = await whipPost(whepUrl, token, await gatheredLocalSdp(pc));
  await pc.setRemoteDescription({ type: "answer", sdp: session.answerSdp });
  return {
    counters,
    connected,
    stop: async () => {
      await whipDelete(session.resourceUrl, token).catch(() => {});
      await pc.close();
    },
  };
}

interface JanusReply {
  janus: string;
  error?: { reason?: string };
  data: { id: number };
  jsep?: { type: string; sdp: string };
}

async function janus(url: string, body: Record<string, unknown>): Promise<JanusReply> {
  const reply = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ transaction: Math.random().toString(36).slice(2), ...body }),
  });
  const json = (await reply.json()) as JanusReply;
  if (json.janus === "error") throw new Error(`janus: ${json.error?.reason}`);
  return json;
}

async function janusViewer(janusUrl: string, mountpointId: number): Promise<Viewer> {
  const session = (await janus(janusUrl, { janus: "create" })).data.id;
  const sessionUrl = `${janusUrl}/${session}`;
  const handle = (await janus(sessionUrl, { janus: "attach", plugin: "janus.plugin.streaming" })).data.id;
  const handleUrl = `${sessionUrl}/${handle}`;
  let alive = true;
  // Janus answers asynchronously, on the session's long poll; it also keeps the session alive.
  const events: JanusReply[] = [];
  const poll = (async () => {
    while (alive) {
      const reply = await fetch(`${sessionUrl}?maxev=5&rid=${Date.now()}`).catch(() => null);
      if (!reply) break;
      const got = await reply.json().catch(() => null);
      if (Array.isArray(got)) events.push(...got);
      else if (got) events.push(got);
    }
  })();
  await janus(handleUrl, { janus: "message", body: { request: "watch", id: mountpointId } });
  const deadline = Date.now() + 10_000;
  let offer: string | undefined;
  while (!offer) {
    offer = events.find((e) => e.jsep?.type === "offer")?.jsep?.sdp;
    if (Date.now() > deadline) throw new Error("janus sent no offer");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const pc = new RTCPeerConnection(peerConfig());
  const counters: Viewer["counters"] = { video: 0, audio: 0, sequences: [] };
  const connected = countMedia(pc, counters);
  await pc.setRemoteDescription({ type: "offer", sdp: offer });
  await pc.setLocalDescription(await pc.createAnswer());
  await janus(handleUrl, {
    janus: "message",
    body: { request: "start" },
    jsep: { type: "answer", sdp: await gatheredLocalSdp(pc) },
  });
  return {
    counters,
    connected,
    stop: async () => {
      alive = false;
      await janus(sessionUrl, { janus: "destroy" }).catch(() => {});
      await pc.close();
      await poll.catch(() => {});
    },
  };
}

const viewers: Viewer[] = [];
const send = (report: ViewerReport) => process.send?.(report);

process.on("message", async (message: { type: "start"; job: ViewerJob } | { type: "counters" } | { type: "stop" }) => {
  try {
    if (message.type === "start") {
      const { job } = message;
      // One join at a time, each until media flows: with hundreds of viewers on two cores, joins started
      // together starve each other's DTLS handshakes.
      for (let i = 0; i < job.count; i++) {
        const viewer =
          job.kind === "relay"
            ? await relayViewer(job.whepUrl, `${job.tokenPrefix}${i}`)
            : await janusViewer(job.janusUrl, job.mountpointId);
        viewers.push(viewer);
        await viewer.connected.catch((error: Error) => {
          throw new Error(`viewer ${i + 1} of ${job.count} in this process: ${error.message}`);
        });
      }
      send({ type: "ready", connected: viewers.length });
    } else if (message.type === "counters") {
      const sequences = viewers.flatMap((v) => v.counters.sequences);
      send({
        type: "counters",
        videoPackets: viewers.reduce((s, v) => s + v.counters.video, 0),
        audioPackets: viewers.reduce((s, v) => s + v.counters.audio, 0),
        expectedPackets: sequences.reduce((s, q) => s + q.expected, 0),
        receivedPackets: sequences.reduce((s, q) => s + q.received, 0),
      });
    } else if (message.type === "stop") {
      await Promise.allSettled(viewers.map((v) => v.stop()));
      process.exit(0);
    }
  } catch (error) {
    send({ type: "error", message: (error as Error).message });
  }
});
process.on("disconnect", () => process.exit(0));
