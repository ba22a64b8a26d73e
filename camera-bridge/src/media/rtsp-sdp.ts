// The camera's session description (DESCRIBE's answer): one track per media section, with the URL to SET UP
// it, its codec, and whether it is the ONVIF audio backchannel (the camera receives: a=sendonly from the
// client's side of the SDP, per ONVIF Streaming §5.3).
import sdpTransform from "sdp-transform";

export interface RtspTrack {
  kind: "video" | "audio";
  /** Absolute URL for SETUP. */
  controlUrl: string;
  payloadType: number;
  /** Upper case: H264, H265, PCMA, PCMU, MPEG4-GENERIC, ... */
  codec: string;
  clockRate: number;
  channels: number;
  fmtp: Record<string, string>;
  /** The camera plays what it receives on this track (talk-back). */
  backchannel: boolean;
}

/** Payload types RFC 3551 fixes, for cameras that send no rtpmap for them. */
const STATIC_PAYLOADS: Record<number, { codec: string; clockRate: number }> = {
  0: { codec: "PCMU", clockRate: 8000 },
  8: { codec: "PCMA", clockRate: 8000 },
};

export function resolveControl(base: string, control: string | undefined): string {
  if (!control || control === "*") return base;
  if (/^rtsp:\/\//i.test(control)) return control;
  return base.endsWith("/") ? `${base}${control}` : `${base}/${control}`;
}

export function parseCameraSdp(sdp: string, baseUrl: string): RtspTrack[] {
  const session = sdpTransform.parse(sdp);
  const sessionControl = (session as { control?: string }).control;
  const base = sessionControl && sessionControl !== "*" ? resolveControl(baseUrl, sessionControl) : baseUrl;
  const tracks: RtspTrack[] = [];
  for (const media of session.media ?? []) {
    if (media.type !== "video" && media.type !== "audio") continue;
    const payloadType = Number(String(media.payloads ?? "").split(" ")[0]);
    if (!Number.isInteger(payloadType)) continue;
    const rtpmap = (media.rtp ?? []).find((r) => r.payload === payloadType);
    const fixed = STATIC_PAYLOADS[payloadType];
    const fmtpLine = (media.fmtp ?? []).find((f) => f.payload === payloadType)?.config ?? "";
    tracks.push({
      kind: media.type,
      controlUrl: resolveControl(base, (media as { control?: string }).control),
      payloadType,
      codec: (rtpmap?.codec ?? fixed?.codec ?? "unknown").toUpperCase(),
      clockRate: rtpmap?.rate ?? fixed?.clockRate ?? 90_000,
      channels: rtpmap?.encoding ? Number(rtpmap.encoding) : 1,
      fmtp: parseFmtp(fmtpLine),
      backchannel: media.direction === "sendonly",
    });
  }
  return tracks;
}

function parseFmtp(config: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const pair of config.split(";")) {
    const at = pair.indexOf("=");
    if (at > 0) fields[pair.slice(0, at).trim().toLowerCase()] = pair.slice(at + 1).trim();
  }
  return fields;
}
