// Talk-back on mediasoup: one family member speaks at a time. Every viewer's microphone is a producer; the
// camera's transport consumes one "speaker" producer whose SSRC never changes (it is in the WHIP answer,
// made before anyone talks), on a DirectTransport. Whoever holds the floor has their microphone's packets
// renumbered onto it: the first to send audio, until `releaseMs` of silence. Only talk-back audio passes
// through Node (≈50 packets/s while someone talks); video and the camera's audio stay in the C++ worker.
import type { types as ms } from "mediasoup";

/** What the camera's speaker plays: Opus for our own firmware, the G.711 an IP camera's backchannel asks for. */
export interface SpeakerCodec {
  mimeType: string;
  clockRate: number;
  channels: number;
  payloadType: number;
}

export const OPUS_SPEAKER: SpeakerCodec = { mimeType: "audio/opus", clockRate: 48_000, channels: 2, payloadType: 111 };

export class Speaker {
  private holder: string | null = null;
  private lastHeardAt = 0;
  private releaseTimer: NodeJS.Timeout | undefined;
  private seq = Math.floor(Math.random() * 0x8000);
  private timestamp = Math.floor(Math.random() * 0x7fffffff);
  private lastInputTimestamp = 0;
  private readonly taps = new Map<string, ms.Consumer>();
  private closed = false;

  private constructor(
    private readonly transport: ms.DirectTransport,
    readonly producer: ms.Producer,
    private readonly onChange: (holder: string | null) => void,
    private readonly releaseMs: number,
    readonly codec: SpeakerCodec,
  ) {}

  static async create(
    router: ms.Router,
    onChange: (holder: string | null) => void,
    codec: SpeakerCodec = OPUS_SPEAKER,
    releaseMs = 400,
  ): Promise<Speaker> {
    const transport = await router.createDirectTransport();
    const producer = await transport.produce({
      kind: "audio",
      rtpParameters: {
        codecs: [{ ...codec, rtcpFeedback: [] }],
        encodings: [{ ssrc: 1 + Math.floor(Math.random() * 0xfffffff0) }],
      },
    });
    return new Speaker(transport, producer, onChange, releaseMs, codec);
  }

  get current(): string | null {
    return this.holder;
  }

  /** Listens to a viewer's microphone; `who` names it in floor changes. */
  async addMicrophone(microphone: ms.Producer, who: string, rtpCapabilities: ms.RtpCapabilities): Promise<void> {
    if (this.closed) return;
    const tap = await this.transport.consume({ producerId: microphone.id, rtpCapabilities });
    this.taps.set(microphone.id, tap);
    tap.on("rtp", (packet) => this.deliver(packet, who));
    tap.on("producerclose", () => this.removeMicrophone(microphone.id, who));
  }

  removeMicrophone(producerId: string, who: string): void {
    this.taps.get(producerId)?.close();
    this.taps.delete(producerId);
    if (this.holder === who) this.release();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.releaseTimer);
    this.transport.close();
  }

  private deliver(packet: Buffer, who: string): void {
    if (packet.length < 12 || this.closed) return;
    const now = performance.now();
    const inputTimestamp = packet.readUInt32BE(4);
    if (who !== this.holder) {
      if (this.holder && now - this.lastHeardAt < this.releaseMs) return;
      this.holder = who;
      this.onChange(who);
    } else {
      // Same talker: advance by their own clock, so their pacing (and any gap) survives.
      this.timestamp = (this.timestamp + ((inputTimestamp - this.lastInputTimestamp) >>> 0)) >>> 0;
    }
    this.lastInputTimestamp = inputTimestamp;
    this.lastHeardAt = now;
    const out = Buffer.from(packet);
    out[1] = (out[1]! & 0x80) | this.codec.payloadType;
    this.seq = (this.seq + 1) & 0xffff;
    out.writeUInt16BE(this.seq, 2);
    out.writeUInt32BE(this.timestamp, 4);
    out.writeUInt32BE(this.producer.rtpParameters.encodings![0]!.ssrc!, 8);
    this.producer.send(out);
    clearTimeout(this.releaseTimer);
    this.releaseTimer = setTimeout(() => this.release(), this.releaseMs);
  }

  private release(): void {
    clearTimeout(this.releaseTimer);
    if (!this.holder) return;
    this.holder = null;
    // The next talker's first packet continues 20 ms after this one.
    this.timestamp = (this.timestamp + this.codec.clockRate / 50) >>> 0;
    this.onChange(null);
  }
}
