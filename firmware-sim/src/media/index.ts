export {
  startCameraStream,
  type CameraStream,
  type CameraStreamOptions,
  type CameraStreamStats,
} from "./camera-stream.ts";
export { parseIvf, nearestKeyframe, type IvfClip, type Vp8Frame } from "./ivf.ts";
export { parseOggOpus, type OpusClip } from "./ogg-opus.ts";
export { packetizeVp8, packetizeOpus, MAX_RTP_PAYLOAD } from "./rtp-payload.ts";
export { startClipSource, defaultAudioClip, defaultVideoClip } from "./clip-source.ts";
