// The installer's side of the gateway API, as far as the simulator needs it: log in, register new
// serials (the factory's job in real life), and bind them to a household (the installer's visit).
import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { z } from "zod";
import {
  receivedErrorReply,
  householdView,
  loginReply,
  page,
  registerDeviceReply,
  type bindDeviceBody,
  type loginBody,
  type registerDeviceBody,
} from "../../protocol/index.ts";
import { backoffDelayMs, defaultBackoff, type BackoffPolicy } from "../../device-client/src/backoff.ts";
import { describeFetchError } from "../../device-client/src/claim.ts";
import type { Logger } from "../../device-client/src/log.ts";

export type RegisterDeviceReply = z.infer<typeof registerDeviceReply>;
export type HouseholdView = z.infer<typeof householdView>;

export class GatewayHttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
    this.name = "GatewayHttpError";
  }
}

export interface InstallerClient {
  login(username: string, password: string): Promise<void>;
  registerDevice(serial: string): Promise<RegisterDeviceReply>;
  firstHousehold(): Promise<HouseholdView | null>;
  bindDevice(householdId: string, serial: string, claimCode: string): Promise<void>;
}

export interface InstallerClientOptions {
  gatewayUrl: string;
  log: Logger;
  /** Network errors and 5xx are retried with this backoff until `signal` aborts. */
  backoff?: BackoffPolicy;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export function createInstallerClient(options: InstallerClientOptions): InstallerClient {
  const doFetch = options.fetch ?? fetch;
  let token: string | null = null;

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = new URL(path, options.gatewayUrl).toString();
    for (let attempt = 0; ; attempt++) {
      let reason: string;
      try {
        const response = await doFetch(url, {
          method,
          headers: {
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: options.signal
            ? AbortSignal.any([options.signal, AbortSignal.timeout(10_000)])
            : AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        const json = text ? safeJson(text) : undefined;
        if (response.ok) return json;
        if (response.status < 500) {
          const parsed = receivedErrorReply.safeParse(json);
          throw new GatewayHttpError(
            response.status,
            parsed.success ? parsed.data.error : `http-${response.status}`,
            `${method} ${path}: HTTP ${response.status} ${parsed.success ? parsed.data.message : text.slice(0, 200)}`,
          );
        }
        reason = `HTTP ${response.status}`;
      } catch (error) {
        if (error instanceof GatewayHttpError || options.signal?.aborted) throw error;
        reason = describeFetchError(error);
      }
      const delayMs = backoffDelayMs(attempt, options.backoff ?? defaultBackoff);
      options.log.warn({ method, url, reason, retryInMs: delayMs }, "gateway request failed, will retry");
      await sleep(delayMs, undefined, { signal: options.signal });
    }
  }

  return {
    async login(username, password) {
      const body: z.input<typeof loginBody> = { username, password };
      token = loginReply.parse(await request("POST", "/api/v1/auth/login", body)).token;
    },
    async registerDevice(serial) {
      const body: z.input<typeof registerDeviceBody> = { serial, model: "WX-SIM" };
      return registerDeviceReply.parse(await request("POST", "/api/v1/devices", body));
    },
    async firstHousehold() {
      const reply = page(householdView).parse(await request("GET", "/api/v1/households?limit=1"));
      return reply.items[0] ?? null;
    },
    async bindDevice(householdId, serial, claimCode) {
      const body: z.input<typeof bindDeviceBody> = { serial, claimCode, label: "堂屋" };
      await request("POST", `/api/v1/households/${encodeURIComponent(householdId)}/devices`, body);
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const serialAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** WX-<prefix>-<6 random letters or digits>, e.g. WX-SIM1-7KQ2ZD. */
export function randomSimSerial(prefix = "SIM1"): string {
  let tail = "";
  for (let i = 0; i < 6; i++) tail += serialAlphabet[randomInt(serialAlphabet.length)];
  return `WX-${prefix}-${tail}`;
}

export interface RegisterSimCamerasOptions extends InstallerClientOptions {
  count: number;
  username: string;
  password: string;
  serialPrefix?: string;
}

/** Registers `count` new serials and binds them to the first household. Returns the serials and claim codes. */
export async function registerSimCameras(
  options: RegisterSimCamerasOptions,
): Promise<Array<{ serial: string; claimCode: string }>> {
  const api = createInstallerClient(options);
  await api.login(options.username, options.password);
  const household = await api.firstHousehold();
  if (!household) options.log.warn("no household to bind to: the cameras are registered but not bound");
  const registered: Array<{ serial: string; claimCode: string }> = [];
  let collisions = 0;
  while (registered.length < options.count) {
    const serial = randomSimSerial(options.serialPrefix);
    let reply: RegisterDeviceReply;
    try {
      reply = await api.registerDevice(serial);
    } catch (error) {
      // Serial taken: draw another. Many in a row means the 409 is about something else.
      if (error instanceof GatewayHttpError && error.status === 409 && ++collisions < 10) continue;
      throw error;
    }
    if (household) await api.bindDevice(household.id, reply.serial, reply.claimCode);
    options.log.info({ serial: reply.serial, householdId: household?.id ?? null }, "registered camera");
    registered.push({ serial: reply.serial, claimCode: reply.claimCode });
  }
  return registered;
}
