// Plays both ends of Web Push that are not ours: a push service (HTTPS on loopback, with a test CA) that
// receives what the gateway sends, and a browser's subscription (P-256 key pair and auth secret) that
// decrypts it (RFC 8291, aes128gcm content coding of RFC 8188) and checks the VAPID signature (RFC 8292).
import { createECDH, createPublicKey, hkdfSync, randomBytes, createDecipheriv, verify, type ECDH } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { makeTestCertificates } from "./test-ca.ts";

export interface ReceivedPush {
  subscription: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface BrowserSubscription {
  name: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  ecdh: ECDH;
  authSecret: Buffer;
}

export interface TestPushService {
  /** The service's test CA: the gateway trusts it. */
  ca: string;
  received: ReceivedPush[];
  /** Status the service answers for a subscription (default 201); 410 says it is gone. */
  answer: Map<string, number>;
  subscribe(name: string): BrowserSubscription;
  close(): Promise<void>;
}

export async function startTestPushService(): Promise<TestPushService> {
  const certs = makeTestCertificates();
  const received: ReceivedPush[] = [];
  const answer = new Map<string, number>();
  const server: Server = createServer(
    { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const subscription = (request.url ?? "").replace(/^\/push\//, "");
        received.push({ subscription, headers: request.headers, body: Buffer.concat(chunks) });
        response.writeHead(answer.get(subscription) ?? 201).end();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    ca: certs.ca.toString(),
    received,
    answer,
    subscribe(name) {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const authSecret = randomBytes(16);
      return {
        name,
        endpoint: `https://127.0.0.1:${port}/push/${name}`,
        keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") },
        ecdh,
        authSecret,
      };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const hkdf = (salt: Buffer, ikm: Buffer, info: Buffer, length: number) =>
  Buffer.from(hkdfSync("sha256", ikm, salt, info, length));

/** RFC 8291 §3.4 and RFC 8188 §2: one record, as browsers receive push messages. */
export function decryptPush(subscription: BrowserSubscription, body: Buffer): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const serverPublicKey = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  if (ciphertext.length > recordSize) throw new Error("more than one record");
  const sharedSecret = subscription.ecdh.computeSecret(serverPublicKey);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), subscription.ecdh.getPublicKey(), serverPublicKey]);
  const ikm = hkdf(subscription.authSecret, sharedSecret, keyInfo, 32);
  const contentKey = hkdf(salt, ikm, Buffer.from("Content-Encoding: aes128gcm\0"), 16);
  const nonce = hkdf(salt, ikm, Buffer.from("Content-Encoding: nonce\0"), 12);
  const decipher = createDecipheriv("aes-128-gcm", contentKey, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error("last record must end with the 0x02 delimiter");
  return padded.subarray(0, end).toString("utf8");
}

/** RFC 8292: `Authorization: vapid t=<JWT>, k=<public key>`; checks the ES256 signature, audience and expiry. */
export function checkVapid(authorization: string, expectedPublicKey: string, endpoint: string): { sub: string } {
  const match = /^vapid t=([^,]+),\s*k=(.+)$/.exec(authorization);
  if (!match) throw new Error(`not a VAPID authorization: ${authorization}`);
  const [, jwt, key] = match as unknown as [string, string, string];
  if (key !== expectedPublicKey) throw new Error("signed with another key");
  const [header, payload, signature] = jwt.split(".") as [string, string, string];
  const point = Buffer.from(key, "base64url");
  const publicKey = createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33, 65).toString("base64url"),
    },
    format: "jwk",
  });
  const valid = verify(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    { key: publicKey, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url"),
  );
  if (!valid) throw new Error("VAPID signature does not verify");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
    aud: string;
    exp: number;
    sub: string;
  };
  if (claims.aud !== new URL(endpoint).origin)
    throw new Error(`audience ${claims.aud} is not the push service's origin`);
  if (claims.exp * 1000 < Date.now()) throw new Error("expired VAPID token");
  return { sub: claims.sub };
}
