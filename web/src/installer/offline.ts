// Binding with no signal: reads fall back to the last copy kept on the phone, and binds wait in a queue that is
// sent when the network returns. Binding is idempotent on the server, so sending one twice is harmless.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiFailure, newRequestId, type ApiClient } from "../api.ts";
import type { DeviceDetail } from "../types.ts";
import type { BoxCode } from "./CameraCodeForm.tsx";
import { bindQueueKey, offlineStore } from "./offline-store.ts";

const cacheKey = (path: string) => `get:${path}`;
const queueKey = bindQueueKey;

/** A GET that keeps its answer for later, and answers from that copy when the network is away. */
export async function cachedGet<T>(api: ApiClient, path: string, signal?: AbortSignal): Promise<T> {
  const kept = await offlineStore.get<T>(cacheKey(path)).catch(() => undefined);
  if (!navigator.onLine && kept !== undefined) return kept;
  try {
    // With a copy in hand, a flaky network falls back at once instead of backing off for 15 s.
    const fresh = await api.request<T>("GET", path, { retry: kept === undefined, signal });
    await offlineStore.set(cacheKey(path), fresh).catch(() => undefined);
    return fresh;
  } catch (error) {
    if (error instanceof ApiFailure && error.transient && kept !== undefined) return kept;
    throw error;
  }
}

export interface QueuedBind {
  id: string;
  householdId: string;
  code: BoxCode;
  /** What the installer will recognise: the serial, from the typed field or the QR text. */
  serial: string;
  queuedAt: string;
  /** Set when the server refused it: the camera was bound elsewhere meanwhile, revoked, or the code no longer matches. */
  conflict?: { code: string; message: string };
}

export function isNetworkFailure(error: unknown): boolean {
  return error instanceof ApiFailure && error.transient;
}

const readQueue = async () => (await offlineStore.get<QueuedBind[]>(queueKey)) ?? [];

/** The queue of binds, shared by the installer's screens; sends it when the network comes back. */
export function useBindQueue(api: ApiClient, onBound: (device: DeviceDetail, item: QueuedBind) => void) {
  const [items, setItems] = useState<QueuedBind[]>([]);
  const sending = useRef(false);
  const bound = useRef(onBound);
  bound.current = onBound;
  const save = async (next: QueuedBind[]) => {
    await offlineStore.set(queueKey, next);
    setItems(next);
  };

  const flush = useCallback(async () => {
    if (sending.current || !navigator.onLine) return;
    sending.current = true;
    try {
      for (const item of (await readQueue()).filter((i) => !i.conflict)) {
        const outcome = await sendOne(api, item);
        if (outcome === "offline") break;
        const rest = (await readQueue()).filter((i) => i.id !== item.id);
        if (outcome instanceof ApiFailure)
          await save([...rest, { ...item, conflict: { code: outcome.code, message: outcome.message } }]);
        else {
          await save(rest);
          bound.current(outcome, item);
        }
      }
    } finally {
      sending.current = false;
      setItems(await readQueue());
    }
  }, [api]);

  useEffect(() => {
    void readQueue().then(setItems).then(flush);
    addEventListener("online", flush);
    return () => removeEventListener("online", flush);
  }, [flush]);

  const enqueue = async (householdId: string, code: BoxCode, serial: string) => {
    await save([
      ...(await readQueue()),
      { id: newRequestId(), householdId, code, serial, queuedAt: new Date().toISOString() },
    ]);
  };
  const dismiss = async (id: string) => save((await readQueue()).filter((i) => i.id !== id));
  return { items, enqueue, dismiss, flush };
}

async function sendOne(api: ApiClient, item: QueuedBind): Promise<DeviceDetail | ApiFailure | "offline"> {
  try {
    return await api.request<DeviceDetail>("POST", `/households/${item.householdId}/devices`, { body: item.code });
  } catch (error) {
    if (isNetworkFailure(error)) return "offline";
    if (error instanceof ApiFailure) return error;
    throw error;
  }
}
