// aedes' in-memory persistence finds the retained messages for a new subscription by testing every retained
// topic against it: each camera's SUBSCRIBE to its own command topic walked every camera's retained status,
// O(N) per CONNECT and O(N²) for a reconnect storm (the largest item in the connect profile at 3,000
// cameras). Our subscriptions are mostly exact topics, so retained messages are kept here in a map looked up
// directly, and only a filter with a wildcard walks the map. (aedes-persistence-redis already does this.)
import { Readable } from "node:stream";

interface RetainedPacket {
  cmd?: string;
  topic: string;
  payload: Buffer;
  qos?: number;
}

/** The part of aedes' default (memory) persistence that holds retained messages. */
export interface RetainedStore {
  storeRetained(packet: RetainedPacket, cb?: (err: Error | null) => void): unknown;
  createRetainedStream(filter: string): Readable;
  createRetainedStreamCombi(filters: string[]): Readable;
}

const hasWildcard = (filter: string) => filter.includes("+") || filter.includes("#");

/** MQTT topic filter matching (3.1.1 §4.7); topics starting with $ match no leading wildcard. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) return false;
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

function* matching(retained: Map<string, RetainedPacket>, filters: string[]): Generator<RetainedPacket> {
  const exact = new Set(filters.filter((f) => !hasWildcard(f)));
  const wildcards = filters.filter(hasWildcard);
  for (const topic of exact) {
    const packet = retained.get(topic);
    if (packet) yield packet;
  }
  if (wildcards.length === 0) return;
  for (const [topic, packet] of retained) {
    if (!exact.has(topic) && wildcards.some((filter) => topicMatches(filter, topic))) yield packet;
  }
}

/** Replaces the retained-message part of aedes' memory persistence; call before anything is retained. */
export function indexRetainedMessages(persistence: RetainedStore): void {
  const retained = new Map<string, RetainedPacket>();
  persistence.storeRetained = (packet, cb) => {
    if (packet.payload.length === 0) retained.delete(packet.topic);
    // Only what aedes reads when it replays a retained message (handlers/subscribe.js): one per camera.
    else retained.set(packet.topic, { cmd: packet.cmd, topic: packet.topic, payload: packet.payload, qos: packet.qos });
    if (cb) process.nextTick(cb, null);
    return Promise.resolve();
  };
  persistence.createRetainedStream = (filter) => Readable.from(matching(retained, [filter]));
  persistence.createRetainedStreamCombi = (filters) => Readable.from(matching(retained, filters));
}
