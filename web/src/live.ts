// The gateway's live WebSocket (/api/v1/live): reconnects with backoff when the mobile network drops,
// pings so that carrier NATs keep it open, and tells subscribers when it is (re)connected so they can refetch
// whatever they may have missed while it was down. The token travels as a subprotocol, never in the URL
// (URLs end up in logs). When the server ends the session (logout elsewhere, expiry, revocation, account
// disabled) it closes with 4401 and the reason, which `onEnded` listeners get.
import type { ServerMessage } from "../../protocol/ws.ts";

export type LiveState = "connecting" | "open" | "closed";

export interface LiveClient {
  start(token: string): void;
  stop(): void;
  state(): LiveState;
  onMessage(listener: (message: ServerMessage) => void): () => void;
  onState(listener: (state: LiveState) => void): () => void;
  onEnded(listener: (reason: string) => void): () => void;
}

const backoffMs = [1000, 2000, 5000, 10_000, 30_000];
const pingEveryMs = 25_000;

/** Listeners of one kind of announcement: add returns the unsubscribe function. */
function listenerSet<T>() {
  const listeners = new Set<(value: T) => void>();
  return {
    emit: (value: T) => listeners.forEach((l) => l(value)),
    add(listener: (value: T) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** A message from the gateway, or null for one that is not JSON (ignored, as before any schema check). */
function parseServerMessage(data: unknown): ServerMessage | null {
  try {
    return JSON.parse(String(data)) as ServerMessage;
  } catch {
    return null;
  }
}

export function createLiveClient(url: () => string = defaultUrl): LiveClient {
  const endedListeners = listenerSet<string>();
  const messageListeners = listenerSet<ServerMessage>();
  const stateListeners = listenerSet<LiveState>();
  let socket: WebSocket | null = null;
  let token: string | null = null;
  let state: LiveState = "closed";
  let failures = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;

  const setState = (next: LiveState) => {
    if (next === state) return;
    state = next;
    stateListeners.emit(next);
  };

  function connect() {
    if (!token) return;
    setState("connecting");
    const ws = new WebSocket(url(), ["wangxiang", `bearer.${token}`]);
    socket = ws;
    ws.onopen = () => {
      pingTimer = setInterval(
        () => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: "ping" })),
        pingEveryMs,
      );
    };
    ws.onmessage = (event) => {
      const message = parseServerMessage(event.data);
      // Open once the gateway says hello: it checks the token first, and only then sends this socket events,
      // so whatever a listener refetches on "open" cannot fall between the fetch and the subscription.
      if (message?.type === "hello") {
        failures = 0;
        setState("open");
      }
      if (message) messageListeners.emit(message);
    };
    ws.onclose = (event) => {
      clearInterval(pingTimer);
      if (socket !== ws) return;
      socket = null;
      setState("closed");
      if (event.code === 4401 && token) {
        // The server ended this sign-in: reconnecting will not help.
        token = null;
        endedListeners.emit(event.reason || "unauthorized");
        return;
      }
      if (!token) return;
      const delay = backoffMs[Math.min(failures++, backoffMs.length - 1)]!;
      retryTimer = setTimeout(connect, delay);
    };
  }

  // Back on the network (or back in the foreground): try now rather than at the end of a long backoff.
  const reconnectNow = () => {
    if (token && !socket && document.visibilityState === "visible") {
      clearTimeout(retryTimer);
      connect();
    }
  };
  addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", reconnectNow);

  return {
    start(next) {
      if (token === next && socket) return;
      this.stop();
      token = next;
      failures = 0;
      connect();
    },
    stop() {
      token = null;
      clearTimeout(retryTimer);
      const ws = socket;
      socket = null;
      ws?.close();
      setState("closed");
    },
    state: () => state,
    onMessage: messageListeners.add,
    onState: stateListeners.add,
    onEnded: endedListeners.add,
  };
}

function defaultUrl(): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/live`;
}
