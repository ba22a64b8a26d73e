// Plays the committed clips as a camera's encoder would: one VP8 frame every 40 ms and one Opus
// packet every 20 ms, in real time, looping forever with continuous RTP sequence numbers and timestamps.
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RtpHeader, RtpPacket } from "werift";
import { nearestKeyframe, parseIvf, type IvfClip } from "./ivf.ts";
import { parseOggOpus, type OpusClip } from "./ogg-opus.ts";
import { packetizeOpus, packetizeVp8 } from "./rtp-payload.ts";

const mediaDir = fileURLToPath(new URL("../../media/", import.meta.url));
export const defaultVideoClip = `${mediaDir}home-640x360-vp8.ivf`;
export const defaultAudioClip = `${mediaDir}home-tone-opus.ogg`;

const VIDEO_CLOCK = 90_000;
const OPUS_CLOCK = 48_000;
const OPUS_FRAME_MS = 20;

export interface ClipSourceOptions {
  videoClip?: string;
  audioClip?: string;
  onVideoPacket(packet: RtpPacket): void;
  onAudioPacket(packet: RtpPacket): void;
}

export interface ClipSource {
  /** Makes the next video frame a keyframe by jumping to the nearest keyframe in the clip. */
  requestKeyframe(): void;
  stop(): void;
  readonly keyframesSent: number;
}

let cachedClips: { key: string; video: IvfClip; audio: OpusClip } | undefined;
function loadClips(videoPath: string, audioPath: string): { video: IvfClip; audio: OpusClip } {
  const key = `${videoPath}\n${audioPath}`;
  if (cachedClips?.key !== key) {
    cachedClips = { key, video: parseIvf(readFileSync(videoPath)), audio: parseOggOpus(readFileSync(audioPath)) };
  }
  return cachedClips;
}

/** Calls `tick(n)` at start + n·period ms without accumulating timer drift. */
function everyPeriod(periodMs: number, tick: (n: number) => void): () => void {
  const start = performance.now();
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  const run = (): void => {
    const due = Math.floor((performance.now() - start) / periodMs);
    // After a stall (GC, busy loop) catch up at most a few frames rather than bursting seconds of media.
    if (due - n > 5) n = due - 5;
    while (n <= due) tick(n++);
    timer = setTimeout(run, Math.max(0, start + n * periodMs - performance.now()));
  };
  run();
  return () => clearTimeout(timer);
}

export function startClipSource(options: ClipSourceOptions): ClipSource {
  const { video, audio } = loadClips(options.videoClip ?? defaultVideoClip, options.audioClip ?? defaultAudioClip);
  const frameMs = 1000 / video.frameRate;
  const ticksPerFrame = Math.round(VIDEO_CLOCK / video.frameRate);

  let videoSeq = randomInt(0, 0xffff);
  let videoTimestamp = randomInt(0, 0xffffffff);
  let pictureId = randomInt(0, 0x7fff);
  let frameIndex = 0;
  let keyframeWanted = false;
  let keyframesSent = 0;

  let audioSeq = randomInt(0, 0xffff);
  let audioTimestamp = randomInt(0, 0xffffffff);
  let packetIndex = 0;

  const stopVideo = everyPeriod(frameMs, () => {
    if (keyframeWanted && !video.frames[frameIndex]!.keyframe) frameIndex = nearestKeyframe(video.frames, frameIndex);
    keyframeWanted = false;
    const frame = video.frames[frameIndex]!;
    if (frame.keyframe) keyframesSent++;
    const payloads = packetizeVp8(frame.data, pictureId);
    payloads.forEach((payload, i) => {
      const header = new RtpHeader({
        payloadType: 96,
        sequenceNumber: videoSeq,
        timestamp: videoTimestamp,
        marker: i === payloads.length - 1,
      });
      videoSeq = (videoSeq + 1) & 0xffff;
      options.onVideoPacket(new RtpPacket(header, payload));
    });
    pictureId = (pictureId + 1) & 0x7fff;
    videoTimestamp = (videoTimestamp + ticksPerFrame) >>> 0;
    frameIndex = (frameIndex + 1) % video.frames.length;
  });

  const stopAudio = everyPeriod(OPUS_FRAME_MS, () => {
    const header = new RtpHeader({
      payloadType: 111,
      sequenceNumber: audioSeq,
      timestamp: audioTimestamp,
      marker: packetIndex === 0,
    });
    options.onAudioPacket(new RtpPacket(header, packetizeOpus(audio.packets[packetIndex]!)));
    audioSeq = (audioSeq + 1) & 0xffff;
    audioTimestamp = (audioTimestamp + (OPUS_CLOCK * OPUS_FRAME_MS) / 1000) >>> 0;
    packetIndex = (packetIndex + 1) % audio.packets.length;
  });

  return {
    requestKeyframe() {
      keyframeWanted = true;
    },
    stop() {
      stopVideo();
      stopAudio();
    },
    get keyframesSent() {
      return keyframesSent;
    },
  };
}
