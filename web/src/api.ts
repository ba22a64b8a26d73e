// The HTTP client for /api/v1: bearer token, the API's one error shape, and retries with backoff on a flaky
// network for requests that are safe to repeat (GETs, and writes that carry a requestId or are idempotent).
import type { ErrorReply } from "../../protocol/http.ts";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** Lost on the way (no answer, or a proxy/gateway hiccup): worth trying again. */
  get transient(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

export interface RequestOptions {
  body?: unknown;
  /** Repeat on transient failures; only for requests that are safe to send twice. */
  retry?: boolean;
  signal?: AbortSignal;
}

export interface ApiClient {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, options?: Omit<RequestOptions, "body">): Promise<T>;
  /** A file (a PDF label sheet): same auth and errors, the body as a Blob. */
  getBlob(path: string, options?: Omit<RequestOptions, "body">): Promise<Blob>;
}

export const retryDelaysMs = [500, 1000, 2000, 4000, 8000];
const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

export function createApi(options: {
  base?: string;
  token: () => string | null;
  onUnauthorized: () => void;
  fetch?: typeof fetch;
}): ApiClient {
  const base = options.base ?? "/api/v1";
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));

  async function once<T>(
    method: string,
    path: string,
    { body, signal }: RequestOptions,
    as: "json" | "blob" = "json",
  ): Promise<T> {
    const headers: Record<string, string> = {};
    const token = options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await doFetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiFailure(0, "network", "network unreachable");
    }
    if (response.status === 204) return null as T;
    if (as === "blob" && response.ok) return (await response.blob()) as T;
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* a proxy's HTML error page */
    }
    if (!response.ok) {
      const problem = (parsed ?? {}) as Partial<ErrorReply>;
      // Only a refused token signs out; a wrong claim code or password (also 401) is the form's error.
      if (token && problem.error === "unauthorized") options.onUnauthorized();
      throw new ApiFailure(
        response.status,
        problem.error ?? `http-${response.status}`,
        problem.message ?? response.statusText,
      );
    }
    return parsed as T;
  }

  async function request<T>(
    method: string,
    path: string,
    opts: RequestOptions = {},
    as: "json" | "blob" = "json",
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once<T>(method, path, opts, as);
      } catch (error) {
        const delay = retryDelaysMs[attempt];
        if (!opts.retry || !(error instanceof ApiFailure) || !error.transient || delay === undefined) throw error;
        await wait(delay + Math.random() * delay * 0.3, opts.signal);
      }
    }
  }

  return {
    request,
    get: (path, opts = {}) => request("GET", path, { retry: true, ...opts }),
    getBlob: (path, opts = {}) => request<Blob>("GET", path, { retry: true, ...opts }, "blob"),
  };
}

/** A v4 UUID even where crypto.randomUUID is missing (plain-http pages on a village LAN are not secure contexts). */
export function newRequestId(): string {
  if (typeof crypto.randomUUID === "function" && isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
