// One RTSP control connection (RFC 2326) over TCP that also carries the media, interleaved ("$", channel,
// 16-bit length, RTP or RTCP packet): requests are sent one at a time and matched to replies by CSeq.
import { connect, type Socket } from "node:net";

export interface RtspResponse {
  status: number;
  reason: string;
  /** Header names in lower case; a header sent several times has several values. */
  headers: Map<string, string[]>;
  body: string;
}

export type RtspFailure = "unreachable" | "auth-failed" | "no-stream" | "protocol";

export class RtspError extends Error {
  constructor(
    readonly failure: RtspFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "RtspError";
  }
}

export function header(response: RtspResponse, name: string): string | undefined {
  return response.headers.get(name.toLowerCase())?.[0];
}

interface Pending {
  cseq: number;
  resolve: (response: RtspResponse) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const HEAD_END = Buffer.from("\r\n\r\n");
/** A head bigger than this is not RTSP: the connection is dropped rather than buffered without end. */
const MAX_HEAD = 64 * 1024;

export class RtspConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private cseq = 0;
  private readonly pending = new Map<number, Pending>();
  private closedError: Error | null = null;
  private closeListeners: ((error: Error) => void)[] = [];
  onInterleaved: (channel: number, packet: Buffer) => void = () => {};

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (error) => this.closed(new RtspError("unreachable", `RTSP connection: ${error.message}`)));
    socket.on("close", () => this.closed(new RtspError("unreachable", "the camera closed the RTSP connection")));
  }

  static open(host: string, port: number, timeoutMs: number): Promise<RtspConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RtspError("unreachable", `no RTSP connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new RtspConnection(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new RtspError("unreachable", `cannot reach ${host}:${port}: ${error.message}`));
      });
    });
  }

  get isOpen(): boolean {
    return this.closedError === null;
  }

  onClose(listener: (error: Error) => void): void {
    this.closeListeners.push(listener);
  }

  request(method: string, uri: string, headers: Record<string, string>, timeoutMs: number): Promise<RtspResponse> {
    if (this.closedError) return Promise.reject(this.closedError);
    const cseq = ++this.cseq;
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${cseq}`, "User-Agent: wangxiang-camera-bridge"];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    this.socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cseq);
        reject(new RtspError("unreachable", `${method} had no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(cseq, { cseq, resolve, reject, timer });
    });
  }

  sendInterleaved(channel: number, packet: Buffer): void {
    if (this.closedError || packet.length > 0xffff) return;
    const frame = Buffer.allocUnsafe(4 + packet.length);
    frame[0] = 0x24;
    frame[1] = channel;
    frame.writeUInt16BE(packet.length, 2);
    packet.copy(frame, 4);
    this.socket.write(frame);
  }

  close(): void {
    this.socket.destroy();
    this.closed(new RtspError("unreachable", "RTSP connection closed"));
  }

  private closed(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    for (const listener of this.closeListeners) listener(error);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.buffer.length > 0 && !this.closedError) {
      const used = this.buffer[0] === 0x24 ? this.takeInterleaved() : this.takeMessage();
      if (used === 0) break;
      this.buffer = this.buffer.subarray(used);
    }
  }

  private takeInterleaved(): number {
    if (this.buffer.length < 4) return 0;
    const length = this.buffer.readUInt16BE(2);
    if (this.buffer.length < 4 + length) return 0;
    this.onInterleaved(this.buffer[1]!, this.buffer.subarray(4, 4 + length));
    return 4 + length;
  }

  private takeMessage(): number {
    const end = this.buffer.indexOf(HEAD_END);
    if (end < 0) {
      if (this.buffer.length > MAX_HEAD) this.fail("an RTSP message head longer than 64 KiB");
      return 0;
    }
    const [first = "", ...headerLines] = this.buffer.subarray(0, end).toString("latin1").split("\r\n");
    const headers = new Map<string, string[]>();
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    const length = Number(headers.get("content-length")?.[0] ?? 0);
    const total = end + 4 + length;
    if (this.buffer.length < total) return 0;
    const body = this.buffer.subarray(end + 4, total).toString("utf8");
    const status = /^RTSP\/1\.\d (\d{3}) ?(.*)$/.exec(first);
    if (status) this.answered({ status: Number(status[1]), reason: status[2] ?? "", headers, body });
    else this.answerServerRequest(headers);
    return total;
  }

  private answered(response: RtspResponse): void {
    const cseq = Number(response.headers.get("cseq")?.[0]);
    const pending = this.pending.get(cseq);
    if (!pending) return;
    this.pending.delete(cseq);
    clearTimeout(pending.timer);
    pending.resolve(response);
  }

  /** A camera may ask us something (GET_PARAMETER as its own keep-alive, ANNOUNCE): we have nothing to say. */
  private answerServerRequest(headers: Map<string, string[]>): void {
    const cseq = headers.get("cseq")?.[0] ?? "0";
    this.socket.write(`RTSP/1.0 501 Not Implemented\r\nCSeq: ${cseq}\r\n\r\n`);
  }

  private fail(reason: string): void {
    this.socket.destroy();
    this.closed(new RtspError("protocol", reason));
  }
}
