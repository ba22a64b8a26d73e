// Small hooks the screens share: load data (refetched on demand and after the live socket reconnects),
// subscribe to live events, and a one-submission-at-a-time action.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ServerMessage } from "../../protocol/ws.ts";
import { ApiFailure } from "./api.ts";
import { useServices } from "./context.ts";

export interface Loaded<T> {
  data: T | null;
  error: ApiFailure | null;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const { live } = useServices();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) {
          setData(value);
          setError(null);
          setLoading(false);
        }
      },
      (err) => {
        if (!controller.signal.aborted) {
          setError(err instanceof ApiFailure ? err : new ApiFailure(0, "network", String(err)));
          setLoading(false);
        }
      },
    );
    return () => controller.abort();
  }, [...deps, generation]);
  // Events sent while the socket was down are gone: refetch when it comes back.
  useEffect(() => live.onState((state) => state === "open" && reload()), [live, reload]);
  return { data, error, loading, reload };
}

export function useLiveEvents(listener: (message: ServerMessage) => void): void {
  const { live } = useServices();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => live.onMessage((m) => latest.current(m)), [live]);
}

/** Runs an async action once at a time: `busy` disables the button, so a second tap sends nothing. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  const inFlight = useRef(false);
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      if (inFlight.current) return undefined;
      inFlight.current = true;
      setBusy(true);
      setError(null);
      try {
        return await action(...args);
      } catch (err) {
        setError(err instanceof ApiFailure ? err : new ApiFailure(0, "error", String((err as Error)?.message ?? err)));
        return undefined;
      } finally {
        inFlight.current = false;
        setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, error, setError };
}

/** Re-renders every `ms`, so "3 minutes ago" stays true. */
export function useTick(ms = 30_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** useAction for a settings form: `saved` says the last save went through (shown as 已保存 until the next one). */
export function useSaveAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [saved, setSaved] = useState(false);
  const wrapped = useCallback(
    async (...args: A): Promise<R> => {
      setSaved(false);
      const result = await action(...args);
      setSaved(true);
      return result;
    },
    [action],
  );
  return { ...useAction(wrapped), saved };
}
