// Talk-back from the relay to the camera's ONVIF backchannel, in the camera's numbering and the G.711 law it
// asked for: G.711 from viewers is converted by table where the laws differ; Opus (the section's codec when the
// camera sends AAC) is decoded to G.711 by an ffmpeg child, started at the first word and kept for the stream.
import { RtpHeader, RtpPacket } from "werift";
import { opusPacketSamples } from "./aac-opus.ts";
import type { AudioPlan } from "./audio-plan.ts";
import { transcodeG711, type G711 } from "./g711.ts";
import { OpusToG711 } from "./opus-g711.ts";
import type { RtspTrack } from "./rtsp-sdp.ts";

export interface TalkbackOptions {
  plan: AudioPlan;
  backchannel: RtspTrack;
  /** A serialized RTP packet for the camera (RtspFeed.sendTalkback). */
  send(packet: Buffer): void;
  ffmpeg?: string;
  /** Talk-back stopped working mid-stream (the Opus decoder ended). */
  onOff?(reason: string): void;
}

export class Talkback {
  private sequence = Math.floor(Math.random() * 0x10000);
  private readonly ssrc = 1 + Math.floor(Math.random() * 0xfffffff0);
  private timestamp = Math.floor(Math.random() * 0x100000000);
  private decoder: OpusToG711 | null = null;
  private readonly law: G711;

  constructor(private readonly options: TalkbackOptions) {
    this.law = options.backchannel.codec as G711;
  }

  /** One RTP packet of a viewer's voice, as the relay sent it. */
  receive(rtp: RtpPacket): void {
    const { plan } = this.options;
    if (plan.codec !== "OPUS") {
      this.forward(transcodeG711(rtp.payload, plan.codec, this.law), rtp.header.timestamp, rtp.header.marker);
      return;
    }
    this.decoder ??= new OpusToG711({
      law: this.law,
      ffmpeg: this.options.ffmpeg,
      onPayload: (payload) => {
        this.timestamp = (this.timestamp + payload.length) >>> 0;
        this.forward(payload, this.timestamp, false);
      },
      onExit: (reason) => this.options.onOff?.(`talk-back is off: ${reason}`),
    });
    this.decoder.push(rtp.payload, opusPacketSamples(rtp.payload));
  }

  close(): void {
    this.decoder?.close();
  }

  private forward(payload: Buffer, timestamp: number, marker: boolean): void {
    this.sequence = (this.sequence + 1) & 0xffff;
    const { payloadType } = this.options.backchannel;
    const header = new RtpHeader({ payloadType, sequenceNumber: this.sequence, timestamp, ssrc: this.ssrc, marker });
    this.options.send(new RtpPacket(header, payload).serialize());
  }
}
