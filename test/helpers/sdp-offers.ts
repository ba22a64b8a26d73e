// SDP offers the relay must refuse, shared by the SDP unit tests and the relay's HTTP tests.

/** Looks like WebRTC, but offers only H.264 in packetization-mode 0 (one NAL unit per packet), which the relay
 *  does not forward: it takes H.264 in mode 1 only. */
export const h264OnlyOffer = [
  "v=0",
  "o=- 1 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "m=video 9 UDP/TLS/RTP/SAVPF 102",
  "c=IN IP4 0.0.0.0",
  "a=ice-ufrag:abcd",
  "a=ice-pwd:abcdefghijklmnopqrstuvwx",
  "a=fingerprint:sha-256 " + Array(32).fill("AB").join(":"),
  "a=setup:actpass",
  "a=mid:0",
  "a=recvonly",
  "a=rtcp-mux",
  "a=rtpmap:102 H264/90000",
  "a=fmtp:102 packetization-mode=0;profile-level-id=42e01f",
  "",
].join("\r\n");
