// The relay speaks SDP at its edge (WHIP/WHEP offers and answers) and mediasoup's RTP parameters inside.
// An offer becomes: DTLS parameters for transport.connect(), per media section the producer's
// RtpParameters (what the peer sends us) and the RtpCapabilities consumers are built for (what the peer
// can receive). The answer is written from the transport's ICE/DTLS parameters and, per media section, the
// codec we took and the consumer that sends on it. mediasoup is ICE-lite and the DTLS server.
import sdpTransform, { type MediaAttributes } from "sdp-transform";
import type { types as ms } from "mediasoup";

export type MediaKind = "audio" | "video";
export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";

export class BadOfferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadOfferError";
  }
}

/** The codecs the relay forwards without transcoding. mediasoup's consumers send with the router's payload
 *  types, so these are the numbers Chromium offers (VP8 96, H.264 102/108/116, Opus 111, PCMU 0, PCMA 8).
 *  H.264: packetization-mode 1 in the profiles IP cameras send and Chromium decodes (mediasoup matches by
 *  profile, any level); G.711 for the cameras' own audio and for talk-back into their speaker. */
const h264 = (profileLevelId: string, payloadType: number): ms.RouterRtpCodecCapability => ({
  kind: "video",
  mimeType: "video/H264",
  clockRate: 90_000,
  preferredPayloadType: payloadType,
  parameters: { "packetization-mode": 1, "profile-level-id": profileLevelId, "level-asymmetry-allowed": 1 },
});

export const routerCodecs: ms.RouterRtpCodecCapability[] = [
  { kind: "video", mimeType: "video/VP8", clockRate: 90_000, preferredPayloadType: 96 },
  h264("42e01f", 108), // constrained baseline
  h264("42001f", 102), // baseline
  h264("4d001f", 116), // main
  h264("640c1f", 112), // constrained high (Chromium with hardware or OpenH264 offers it; Debian's does not)
  {
    kind: "audio",
    mimeType: "audio/opus",
    clockRate: 48_000,
    channels: 2,
    preferredPayloadType: 111,
    parameters: { minptime: 10, useinbandfec: 1 },
  },
  { kind: "audio", mimeType: "audio/PCMA", clockRate: 8000, channels: 1, preferredPayloadType: 8 },
  { kind: "audio", mimeType: "audio/PCMU", clockRate: 8000, channels: 1, preferredPayloadType: 0 },
];

const acceptedFeedback: Record<MediaKind, string[]> = {
  video: ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"],
  audio: ["transport-cc"],
};

const acceptedExtensions: Record<MediaKind, string[]> = {
  video: [
    "urn:ietf:params:rtp-hdrext:sdes:mid",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "urn:3gpp:video-orientation",
    "urn:ietf:params:rtp-hdrext:toffset",
    "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
  ],
  audio: [
    "urn:ietf:params:rtp-hdrext:sdes:mid",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
  ],
};

export interface OfferedMedia {
  mid: string;
  kind: MediaKind;
  direction: Direction;
  /** The first codec offered that the relay forwards: what a camera sends. */
  codec: ms.RtpCodecParameters;
  /** Every codec offered that the relay forwards, in the peer's order of preference. */
  codecs: ms.RtpCodecParameters[];
  rtx?: { payloadType: number; ssrc?: number };
  headerExtensions: ms.RtpHeaderExtensionParameters[];
  /** The peer's sending SSRC, when it sends on this section. */
  ssrc?: number;
  cname?: string;
}

export interface ParsedOffer {
  dtlsParameters: ms.DtlsParameters;
  media: OfferedMedia[];
  /** What the peer can receive, for transport.consume(). */
  rtpCapabilities: ms.RtpCapabilities;
  sessionVersion: number;
}

type Media = MediaAttributes & { type: string; port: number; protocol: string; payloads?: string };

export function parseOffer(sdp: string): ParsedOffer {
  let session;
  try {
    session = sdpTransform.parse(sdp);
  } catch (error) {
    throw new BadOfferError(`unreadable SDP: ${(error as Error).message}`);
  }
  const medias = (session.media ?? []) as Media[];
  if (medias.length === 0) throw new BadOfferError("the offer has no media section");
  const fingerprint = session.fingerprint ?? medias.find((m) => m.fingerprint)?.fingerprint;
  if (!fingerprint) throw new BadOfferError("the offer has no DTLS fingerprint");
  const setup = session.setup ?? medias.find((m) => m.setup)?.setup ?? "actpass";
  const dtlsParameters: ms.DtlsParameters = {
    // The peer's role: an actpass or active offerer is the DTLS client; we answer passive.
    role: setup === "passive" ? "server" : "client",
    fingerprints: [{ algorithm: fingerprint.type.toLowerCase() as ms.FingerprintAlgorithm, value: fingerprint.hash }],
  };
  const media = medias.map(parseMedia);
  return {
    dtlsParameters,
    media,
    rtpCapabilities: capabilitiesOf(media),
    sessionVersion: Number(session.origin?.sessionVersion ?? 0),
  };
}

function parseMedia(m: Media, index: number): OfferedMedia {
  if (m.type !== "audio" && m.type !== "video")
    throw new BadOfferError(`media section ${index} is ${m.type}; only audio and video are relayed`);
  const kind = m.type;
  const mid = m.mid !== undefined ? String(m.mid) : String(index);
  const codecs = forwardableCodecs(m, kind);
  const codec = codecs[0];
  if (!codec)
    throw new BadOfferError(`the ${kind} section offers no codec the relay forwards (${forwardedNames(kind)})`);
  const pt = codec.payloadType;
  const rtxPt = (m.fmtp ?? []).find(
    (f) =>
      /(^|;)\s*apt=(\d+)/.exec(f.config)?.[2] === String(pt) &&
      (m.rtp ?? []).some((r) => r.payload === f.payload && r.codec.toLowerCase() === "rtx"),
  )?.payload;
  const ssrcs = [...new Set((m.ssrcs ?? []).map((s) => Number(s.id)))];
  const fid = (m.ssrcGroups ?? [])
    .find((g) => g.semantics === "FID")
    ?.ssrcs.split(" ")
    .map(Number);
  const ssrc = fid?.[0] ?? ssrcs[0];
  return {
    mid,
    kind,
    direction: (m.direction ?? "sendrecv") as Direction,
    codec,
    codecs,
    rtx: rtxPt !== undefined ? { payloadType: rtxPt, ssrc: fid?.[1] } : undefined,
    headerExtensions: (m.ext ?? [])
      .filter((e) => acceptedExtensions[kind].includes(e.uri))
      .map((e) => ({ uri: e.uri as ms.RtpHeaderExtensionUri, id: e.value })),
    ssrc,
    cname: (m.ssrcs ?? []).find((s) => s.attribute === "cname")?.value,
  };
}

const forwardedNames = (kind: MediaKind) =>
  [...new Set(routerCodecs.filter((c) => c.kind === kind).map((c) => c.mimeType.split("/")[1]))].join(", ");

/** A router codec of this name and clock rate; for H.264 only packetization-mode 1 (what mediasoup forwards). */
function isForwarded(kind: MediaKind, mimeType: string, clockRate: number, parameters: Record<string, unknown>) {
  const known = routerCodecs.some(
    (c) => c.kind === kind && c.mimeType.toLowerCase() === mimeType.toLowerCase() && c.clockRate === clockRate,
  );
  if (!known) return false;
  return mimeType.toLowerCase() !== "video/h264" || Number(parameters["packetization-mode"] ?? 0) === 1;
}

function forwardableCodecs(m: Media, kind: MediaKind): ms.RtpCodecParameters[] {
  const codecs: ms.RtpCodecParameters[] = [];
  for (const rtpmap of m.rtp ?? []) {
    const mimeType = `${kind}/${rtpmap.codec}`;
    const fmtp = (m.fmtp ?? []).find((f) => f.payload === rtpmap.payload);
    const parameters = fmtp ? parseFmtp(fmtp.config) : {};
    if (!isForwarded(kind, mimeType, rtpmap.rate ?? 0, parameters)) continue;
    const canonical = routerCodecs.find((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase())!;
    const channels =
      kind === "audio" ? (rtpmap.encoding ? Number(rtpmap.encoding) : (canonical.channels ?? 1)) : undefined;
    codecs.push({
      mimeType: canonical.mimeType,
      payloadType: rtpmap.payload,
      clockRate: canonical.clockRate,
      ...(channels !== undefined ? { channels } : {}),
      parameters,
      rtcpFeedback: (m.rtcpFb ?? [])
        .filter((fb) => String(fb.payload) === String(rtpmap.payload) || fb.payload === "*")
        .map((fb) => ({ type: fb.type, parameter: fb.subtype ?? "" }))
        .filter((fb) => acceptedFeedback[kind].includes(`${fb.type}${fb.parameter ? ` ${fb.parameter}` : ""}`)),
    });
  }
  return codecs;
}

function parseFmtp(config: string): Record<string, string | number> {
  const parameters: Record<string, string | number> = {};
  for (const pair of config.split(";")) {
    const [key, value] = pair.split("=").map((s) => s.trim());
    if (!key || value === undefined) continue;
    parameters[key] = /^\d+$/.test(value) ? Number(value) : value;
  }
  return parameters;
}

function capabilitiesOf(media: OfferedMedia[]): ms.RtpCapabilities {
  const codecs: ms.RtpCodecCapability[] = [];
  const headerExtensions: ms.RtpHeaderExtension[] = [];
  for (const m of media) {
    if (m.direction !== "sendrecv" && m.direction !== "recvonly") continue;
    if (codecs.some((c) => c.kind === m.kind)) continue;
    // No RTX towards receivers: mediasoup then retransmits NACKed packets on the media SSRC, and the answer
    // need not name an RTX payload type the router may number differently.
    for (const { payloadType, ...codec } of m.codecs)
      codecs.push({ ...codec, kind: m.kind, preferredPayloadType: payloadType });
    for (const e of m.headerExtensions) {
      headerExtensions.push({ kind: m.kind, uri: e.uri, preferredId: e.id, direction: "sendrecv" });
    }
  }
  return { codecs, headerExtensions };
}

/** What the peer sends on a media section, as mediasoup's producer parameters. */
export function producerParameters(media: OfferedMedia, codec = media.codec): ms.RtpParameters {
  const codecs: ms.RtpCodecParameters[] = [codec];
  if (media.rtx && codec === media.codec)
    codecs.push({
      mimeType: `${media.kind}/rtx`,
      payloadType: media.rtx.payloadType,
      clockRate: codec.clockRate,
      parameters: { apt: codec.payloadType },
      rtcpFeedback: [],
    });
  const encoding: ms.RtpEncodingParameters = {};
  if (media.ssrc !== undefined) encoding.ssrc = media.ssrc;
  if (media.ssrc !== undefined && media.rtx?.ssrc !== undefined) encoding.rtx = { ssrc: media.rtx.ssrc };
  return {
    mid: media.mid,
    codecs,
    headerExtensions: media.headerExtensions,
    encodings: [encoding],
    rtcp: { cname: media.cname, reducedSize: true },
  };
}

export function peerSends(media: OfferedMedia): boolean {
  return media.direction === "sendrecv" || media.direction === "sendonly";
}

export function peerReceives(media: OfferedMedia): boolean {
  return media.direction === "sendrecv" || media.direction === "recvonly";
}

export interface AnswerSection {
  media: OfferedMedia;
  /** We receive what the peer sends on this section. */
  receive: boolean;
  /** What we send on this section (a consumer's parameters), if anything. */
  send?: ms.RtpParameters;
  /** The offered codec we receive, when it is not the first one (a viewer's microphone in the camera's codec). */
  receiveCodec?: ms.RtpCodecParameters;
}

export interface AnswerTransport {
  iceParameters: ms.IceParameters;
  iceCandidates: ms.IceCandidate[];
  dtlsParameters: ms.DtlsParameters;
}

const sessionId = () => String(Math.floor(Math.random() * 1e15));

export function buildAnswer(transport: AnswerTransport, sections: AnswerSection[], cname: string): string {
  const fingerprint =
    transport.dtlsParameters.fingerprints.find((f) => f.algorithm === "sha-256") ??
    transport.dtlsParameters.fingerprints[0]!;
  const lines = [
    "v=0",
    `o=- ${sessionId()} 2 IN IP4 127.0.0.1`,
    "s=-",
    "t=0 0",
    "a=ice-lite",
    `a=group:BUNDLE ${sections.map((s) => s.media.mid).join(" ")}`,
    "a=msid-semantic: WMS *",
    `a=fingerprint:${fingerprint.algorithm} ${fingerprint.value}`,
  ];
  for (const section of sections) lines.push(...answerSection(transport, section, cname));
  return `${lines.join("\r\n")}\r\n`;
}

/** The one codec of an answer's section: what our consumer sends (with the router's payload type and, for
 *  H.264, the profile-level-id mediasoup chose for the answer), else what we receive. */
function answeredCodec({ media, send, receiveCodec }: AnswerSection): ms.RtpCodecParameters {
  const sent = send?.codecs[0];
  if (!sent) return receiveCodec ?? media.codec;
  const offered = media.codecs.find((c) => c.mimeType.toLowerCase() === sent.mimeType.toLowerCase()) ?? media.codec;
  const parameters = sent.mimeType.toLowerCase() === "video/h264" ? sent.parameters : offered.parameters;
  return { ...offered, payloadType: sent.payloadType, parameters, rtcpFeedback: sent.rtcpFeedback ?? [] };
}

function answerSection(transport: AnswerTransport, section: AnswerSection, cname: string): string[] {
  const { media, receive, send } = section;
  const codec = answeredCodec(section);
  const rtx = receive && !send && codec === media.codec ? media.rtx : undefined;
  const payloads = [codec.payloadType, ...(rtx ? [rtx.payloadType] : [])];
  const direction = send && receive ? "sendrecv" : send ? "sendonly" : receive ? "recvonly" : "inactive";
  const lines = [
    `m=${media.kind} 7 UDP/TLS/RTP/SAVPF ${payloads.join(" ")}`,
    "c=IN IP4 127.0.0.1",
    `a=mid:${media.mid}`,
    `a=ice-ufrag:${transport.iceParameters.usernameFragment}`,
    `a=ice-pwd:${transport.iceParameters.password}`,
    ...transport.iceCandidates.map(candidateLine),
    "a=end-of-candidates",
    "a=setup:passive",
    `a=${direction}`,
    "a=rtcp-mux",
    "a=rtcp-rsize",
    ...media.headerExtensions.map((e) => `a=extmap:${e.id} ${e.uri}`),
    `a=rtpmap:${codec.payloadType} ${codec.mimeType.split("/")[1]}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ""}`,
  ];
  const fmtp = Object.entries(codec.parameters ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(";");
  if (fmtp) lines.push(`a=fmtp:${codec.payloadType} ${fmtp}`);
  for (const fb of codec.rtcpFeedback ?? [])
    lines.push(`a=rtcp-fb:${codec.payloadType} ${fb.type}${fb.parameter ? ` ${fb.parameter}` : ""}`);
  if (rtx)
    lines.push(
      `a=rtpmap:${rtx.payloadType} rtx/${codec.clockRate}`,
      `a=fmtp:${rtx.payloadType} apt=${codec.payloadType}`,
    );
  if (send) lines.push(...ssrcLines(send, cname, media.mid));
  return lines;
}

function ssrcLines(send: ms.RtpParameters, cname: string, mid: string): string[] {
  const encoding = send.encodings?.[0];
  if (!encoding?.ssrc) return [];
  const stream = `relay-${mid}`;
  const lines = [`a=msid:${stream} ${stream}-track`];
  const ssrcs = [encoding.ssrc, ...(encoding.rtx?.ssrc ? [encoding.rtx.ssrc] : [])];
  if (ssrcs.length > 1) lines.push(`a=ssrc-group:FID ${ssrcs.join(" ")}`);
  for (const ssrc of ssrcs)
    lines.push(`a=ssrc:${ssrc} cname:${cname}`, `a=ssrc:${ssrc} msid:${stream} ${stream}-track`);
  return lines;
}

function candidateLine(c: ms.IceCandidate): string {
  const tcp = c.protocol === "tcp" ? ` tcptype ${c.tcpType ?? "passive"}` : "";
  return `a=candidate:${c.foundation} 1 ${c.protocol} ${c.priority} ${c.address} ${c.port} typ ${c.type}${tcp}`;
}
