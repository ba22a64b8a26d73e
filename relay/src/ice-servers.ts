// ICE servers handed to viewers and cameras. TURN credentials are minted per client and expire, with
// coturn's `use-auth-secret` scheme (the TURN REST API, draft-uberti-behave-turn-rest): the username is
// `<expiry unix time>:<client id>` and the password base64(HMAC-SHA1(shared secret, username)), so coturn
// checks them with the shared secret alone and a leaked pair is useless after its expiry.
import { createHmac } from "node:crypto";
import type { z } from "zod";
import type { iceServer } from "../../protocol/device-messages.ts";

export type IceServer = z.infer<typeof iceServer>;

/** ICE servers for one client (a viewer session, a camera stream), made when asked. */
export type IceServerSource = (clientId: string) => IceServer[];

export interface TurnRestConfig {
  urls: string[];
  secret: string;
  ttlS: number;
}

export function turnRestCredentials(config: TurnRestConfig, clientId: string, nowMs = Date.now()): Required<IceServer> {
  const expiry = Math.floor(nowMs / 1000) + config.ttlS;
  const username = `${expiry}:${clientId.replace(/:/g, "_")}`;
  const credential = createHmac("sha1", config.secret).update(username).digest("base64");
  return { urls: config.urls, username, credential };
}

/** Static servers (STUN, or TURN with fixed credentials) plus, when configured, per-client TURN REST credentials. */
export function iceServerSource(options: { servers?: IceServer[]; turn?: TurnRestConfig | null }): IceServerSource {
  const servers = options.servers ?? [];
  const turn = options.turn?.urls.length ? options.turn : null;
  return (clientId) => (turn ? [...servers, turnRestCredentials(turn, clientId)] : servers);
}
