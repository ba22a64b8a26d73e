// A process of werift viewers for the live-view benchmark, kept apart from the SFU under test so that
// their own SRTP and RTP work is not counted against it. Two ways in: our relay (WHEP: POST an offer,
// get the answer) and Janus's streaming plugin (HTTP API: create a session, attach, "watch", answer
// Janus's offer, "start"). Started with fork(); told what to do over IPC, reports counters back.
import { RTCPeerConnection, useOPUS, useVP8 } from "werift";
import { gatheredLocalSdp } from "../core/webrtc.ts";
import { whipDelete, whipPost } from "../firmware-sim/src/media/whip-client.ts";

export type ViewerJob =
  | { kind: "relay"; whepUrl: string; count: number; tokenPrefix: string }
  | { kind: "janus"; janusUrl: string; mountpointId: number; count: number };

export type ViewerReport =
  | { type: "ready"; connected: number }
  | { type: "counters"; videoPackets: number; audioPackets: number }
  | { type: "error"; message: string };

interface Viewer {
  counters: { video: number; audio: number };
  connected: Promise<void>;
  stop(): Promise<void>;
}

const peerConfig = () => ({
  codecs: { video: [useVP8({ payloadType: 96 })], audio: [useOPUS({ payloadType: 111 })] },
  iceUseIpv4: false,
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ["127.0.0.1"],
});

function countMedia(pc: RTCPeerConnection, counters: Viewer["counters"]): Promise<void> {
  pc.onTransceiverAdded.subscribe((t) =>
    t.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe(() => {
        if (track.kind === "video") counters.video++;
        else counters.audio++;
      }),
    ),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`viewer not receiving after 20 s (${pc.connectionState})`)),
      20_000,
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
  const counters = { video: 0, audio: 0 };
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const connected = countMedia(pc, counters);
  // The transceivers above exist before onTransceiverAdded is subscribed: hook their tracks directly.
  for (const t of pc.getTransceivers())
    t.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe(() => void (track.kind === "video" ? counters.video++ : counters.audio++)),
    );
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

/** What the bench reads of Janus's JSON replies and events. */
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
  const counters = { video: 0, audio: 0 };
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
      for (let i = 0; i < job.count; i++) {
        viewers.push(
          job.kind === "relay"
            ? await relayViewer(job.whepUrl, `${job.tokenPrefix}${i}`)
            : await janusViewer(job.janusUrl, job.mountpointId),
        );
      }
      await Promise.all(viewers.map((v) => v.connected));
      send({ type: "ready", connected: viewers.length });
    } else if (message.type === "counters") {
      send({
        type: "counters",
        videoPackets: viewers.reduce((s, v) => s + v.counters.video, 0),
        audioPackets: viewers.reduce((s, v) => s + v.counters.audio, 0),
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
