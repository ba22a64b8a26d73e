// A stand-in for Alibaba Cloud's and Tencent Cloud's SMS and voice APIs on loopback, for the real SDKs to talk
// to. It checks every request's signature as each provider documents it, and refuses what does not verify:
// - Alibaba Cloud V3 (ACS3-HMAC-SHA256; what @alicloud/dysmsapi20170525 signs SendSms with)
// - Alibaba Cloud RPC V1 (HMAC-SHA1 over the sorted, percent-encoded parameters; @alicloud/pop-core, Dyvms)
// - Tencent Cloud TC3-HMAC-SHA256 (tencentcloud-sdk-nodejs-sms and -common), with the service of the host
// It records each message it accepts and can be told to answer the next requests with an error, the
// provider's throttling, an outage (HTTP 500) or no answer at all (a timeout).
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const ALIYUN_KEY = { id: "LTAI-test-key-id", secret: "aliyun-test-secret-0123456789" };
export const TENCENT_KEY = { id: "AKID-test-secret-id", secret: "tencent-test-secret-key-0123456789" };

export interface RecordedMessage {
  /** The id the provider answered with (BizId, SerialNo, CallId). */
  id?: string;
  provider: "aliyun" | "tencent";
  channel: "sms" | "voice";
  /** E.164 */
  phone: string;
  templateId: string;
  params: string[];
  signName: string | null;
  at: number;
}

export type Fault = "error" | "throttle" | "outage" | "timeout";

export interface LoopbackProvider {
  url: string;
  messages: RecordedMessage[];
  /** Requests refused because their signature did not verify (should stay empty). */
  badSignatures: string[];
  /** Every request that reached it, accepted or not (a retry shows as a second one). */
  requests: number;
  /** The next `count` requests (any provider) answer with this fault. */
  failNext(fault: Fault, count?: number): void;
  /** The operator did not deliver this message (its receipt says so); every other is delivered. */
  undeliverable: Set<string>;
  /** Answers held by "timeout" are released (the connection closed), so the server can stop. */
  stop(): Promise<void>;
}

const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding as both Alibaba Cloud signatures use it. */
const percentEncode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export async function startLoopbackProvider(): Promise<LoopbackProvider> {
  const faults: Fault[] = [];
  const held = new Set<ServerResponse>();
  const provider: LoopbackProvider = {
    url: "",
    messages: [],
    badSignatures: [],
    requests: 0,
    undeliverable: new Set(),
    failNext(fault, count = 1) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    async stop() {
      for (const res of held) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      provider.requests++;
      try {
        handle(provider, faults, held, req, Buffer.concat(chunks), res);
      } catch (error) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ Code: "BadRequest", Message: (error as Error).message }));
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  provider.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return provider;
}

function handle(
  provider: LoopbackProvider,
  faults: Fault[],
  held: Set<ServerResponse>,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
): void {
  const auth = String(req.headers.authorization ?? "");
  const family = auth.startsWith("TC3-HMAC-SHA256") ? "tencent" : "aliyun";
  const problem =
    family === "tencent"
      ? verifyTc3(req, body)
      : auth.startsWith("ACS3-HMAC-SHA256")
        ? verifyAcs3(req, body)
        : verifyRpc(req, body);
  if (problem) {
    provider.badSignatures.push(problem);
    // Tencent Cloud answers every API error with HTTP 200 and Response.Error; Alibaba Cloud with a 4xx.
    if (family === "tencent") return reply(res, 200, tencentError("AuthFailure.SignatureFailure", problem));
    return reply(res, 400, aliyunError("SignatureDoesNotMatch", problem));
  }
  const fault = faults.shift();
  if (fault === "timeout") {
    held.add(res);
    res.on("close", () => held.delete(res));
    return;
  }
  if (fault === "outage") return reply(res, 500, "<html>502 Bad Gateway</html>");
  if (fault) return reply(res, 200, faultAnswer(family, fault, req));
  const receipts = receiptAnswer(provider, family, req, body);
  if (receipts) return reply(res, 200, receipts);
  const message = family === "tencent" ? readTencent(req, body) : readAliyun(req, body);
  const id = `${message.channel}-${provider.messages.length + 1}`;
  provider.messages.push({ ...message, id });
  reply(res, 200, successAnswer(message, id));
}

function reply(res: ServerResponse, status: number, body: object | string): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": typeof body === "string" ? "text/html" : "application/json" });
  res.end(text);
}

// ── Alibaba Cloud V3: ACS3-HMAC-SHA256 ─────────────────────────────────────────────────────────────────────
function verifyAcs3(req: IncomingMessage, body: Buffer): string | null {
  const auth = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(
    String(req.headers.authorization),
  );
  if (!auth) return "acs3: malformed Authorization";
  const [, keyId, signedHeaderList, signature] = auth;
  if (keyId !== ALIYUN_KEY.id) return "acs3: unknown AccessKeyId";
  const signed = signedHeaderList!.split(";");
  const mustSign = Object.keys(req.headers).filter(
    (h) => h === "host" || h === "content-type" || h.startsWith("x-acs-"),
  );
  if (mustSign.some((h) => !signed.includes(h))) return "acs3: a header that must be signed is not";
  if (sha256Hex(body) !== req.headers["x-acs-content-sha256"]) return "acs3: body hash does not match";
  const dated = Date.parse(String(req.headers["x-acs-date"]));
  if (!(Math.abs(Date.now() - dated) < 15 * 60_000)) return "acs3: x-acs-date missing or off by more than 15 min";
  const url = new URL(req.url ?? "/", "http://loopback");
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const headers = [...signed]
    .sort()
    .map((h) => `${h}:${String(req.headers[h] ?? "").trim()}\n`)
    .join("");
  const canonical = [req.method, url.pathname || "/", query, headers, signed.join(";"), sha256Hex(body)].join("\n");
  const stringToSign = `ACS3-HMAC-SHA256\n${sha256Hex(canonical)}`;
  const expected = hmac(ALIYUN_KEY.secret, stringToSign).toString("hex");
  return sameText(expected, signature!) ? null : "acs3: signature does not match";
}

// ── Alibaba Cloud RPC V1: HMAC-SHA1 ────────────────────────────────────────────────────────────────────────
function rpcParams(req: IncomingMessage, body: Buffer): URLSearchParams {
  const url = new URL(req.url ?? "/", "http://loopback");
  const params = new URLSearchParams(url.search);
  if (String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded"))
    for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params.append(k, v);
  return params;
}

function verifyRpc(req: IncomingMessage, body: Buffer): string | null {
  const params = rpcParams(req, body);
  const signature = params.get("Signature");
  if (!signature) return "rpc: no Signature";
  if (params.get("AccessKeyId") !== ALIYUN_KEY.id) return "rpc: unknown AccessKeyId";
  if (params.get("SignatureMethod") !== "HMAC-SHA1" || params.get("SignatureVersion") !== "1.0")
    return "rpc: not HMAC-SHA1 1.0";
  if (!(Math.abs(Date.now() - Date.parse(params.get("Timestamp") ?? "")) < 15 * 60_000)) return "rpc: stale Timestamp";
  const canonical = [...params.entries()]
    .filter(([k]) => k !== "Signature")
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const stringToSign = `${req.method}&${percentEncode("/")}&${percentEncode(canonical)}`;
  const expected = createHmac("sha1", `${ALIYUN_KEY.secret}&`).update(stringToSign).digest("base64");
  return sameText(expected, signature) ? null : "rpc: signature does not match";
}

function readAliyun(req: IncomingMessage, body: Buffer): RecordedMessage {
  const action = String(req.headers["x-acs-action"] ?? "") || rpcParams(req, body).get("Action");
  const params = rpcParams(req, body);
  if (action === "SendSms")
    return {
      provider: "aliyun",
      channel: "sms",
      phone: `+86${params.get("PhoneNumbers")}`,
      templateId: params.get("TemplateCode") ?? "",
      params: Object.values(JSON.parse(params.get("TemplateParam") ?? "{}") as Record<string, string>),
      signName: params.get("SignName"),
      at: Date.now(),
    };
  if (action === "SingleCallByTts")
    return {
      provider: "aliyun",
      channel: "voice",
      phone: `+86${params.get("CalledNumber")}`,
      templateId: params.get("TtsCode") ?? "",
      params: Object.values(JSON.parse(params.get("TtsParam") ?? "{}") as Record<string, string>),
      signName: null,
      at: Date.now(),
    };
  throw new Error(`unknown Alibaba Cloud action ${action}`);
}

const aliyunError = (code: string, message: string) => ({ Code: code, Message: message, RequestId: "req-test" });

// ── Tencent Cloud: TC3-HMAC-SHA256 ─────────────────────────────────────────────────────────────────────────
function verifyTc3(req: IncomingMessage, body: Buffer): string | null {
  const auth =
    /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([a-z]+)\/tc3_request, SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$/.exec(
      String(req.headers.authorization),
    );
  if (!auth) return "tc3: malformed Authorization";
  const [, secretId, date, service, signedHeaderList, signature] = auth;
  if (secretId !== TENCENT_KEY.id) return "tc3: unknown SecretId";
  const host = String(req.headers.host ?? "");
  // The API host names the service: sms.tencentcloudapi.com signs as "sms", vms.tencentcloudapi.com as "vms".
  if (host !== `${service}.tencentcloudapi.com`) return `tc3: service ${service} signed for host ${host}`;
  const timestamp = Number(req.headers["x-tc-timestamp"]);
  if (!(Math.abs(Date.now() / 1000 - timestamp) < 300)) return "tc3: X-TC-Timestamp off by more than 5 min";
  if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== date)
    return "tc3: credential date is not the timestamp's";
  const signed = signedHeaderList!.split(";");
  if (!signed.includes("host") || !signed.includes("content-type")) return "tc3: host and content-type must be signed";
  const url = new URL(req.url ?? "/", "http://loopback");
  const headers = signed
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? "")
          .trim()
          .toLowerCase()}\n`,
    )
    .join("");
  const canonical = [req.method, url.pathname, url.search.slice(1), headers, signedHeaderList, sha256Hex(body)].join(
    "\n",
  );
  const scope = `${date}/${service}/tc3_request`;
  const stringToSign = `TC3-HMAC-SHA256\n${timestamp}\n${scope}\n${sha256Hex(canonical)}`;
  const key = hmac(hmac(hmac(`TC3${TENCENT_KEY.secret}`, date!), service!), "tc3_request");
  const expected = createHmac("sha256", key).update(stringToSign).digest("hex");
  return sameText(expected, signature!) ? null : "tc3: signature does not match";
}

function readTencent(req: IncomingMessage, body: Buffer): RecordedMessage {
  const action = String(req.headers["x-tc-action"]);
  const p = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  const params = (p.TemplateParamSet as string[] | undefined) ?? [];
  if (action === "SendSms")
    return {
      provider: "tencent",
      channel: "sms",
      phone: (p.PhoneNumberSet as string[])[0]!,
      templateId: String(p.TemplateId),
      params,
      signName: String(p.SignName),
      at: Date.now(),
    };
  if (action === "SendTtsVoice")
    return {
      provider: "tencent",
      channel: "voice",
      phone: String(p.CalledNumber),
      templateId: String(p.TemplateId),
      params,
      signName: null,
      at: Date.now(),
    };
  throw new Error(`unknown Tencent Cloud action ${action}`);
}

const tencentError = (code: string, message: string) => ({
  Response: { Error: { Code: code, Message: message }, RequestId: "req-test" },
});

// ── delivery receipts: Alibaba Cloud QuerySendDetails, Tencent Cloud PullSmsSendStatus (each receipt once) ──
const pulled = new WeakMap<LoopbackProvider, Set<string>>();

function receiptAnswer(
  provider: LoopbackProvider,
  family: "aliyun" | "tencent",
  req: IncomingMessage,
  body: Buffer,
): object | null {
  const action = String(req.headers["x-acs-action"] ?? req.headers["x-tc-action"] ?? "");
  const delivered = (id: string) => !provider.undeliverable.has(id);
  if (family === "aliyun" && action === "QuerySendDetails") {
    const params = rpcParams(req, body);
    const m = provider.messages.find(
      (x) => x.id === params.get("BizId") && x.phone === `+86${params.get("PhoneNumber")}`,
    );
    const dto = m
      ? [
          {
            PhoneNum: params.get("PhoneNumber"),
            SendStatus: delivered(m.id!) ? 3 : 2,
            ErrCode: delivered(m.id!) ? "DELIVERED" : "MK:0001",
            TemplateCode: m.templateId,
          },
        ]
      : [];
    return {
      Code: "OK",
      Message: "OK",
      RequestId: "req-test",
      TotalCount: String(dto.length),
      SmsSendDetailDTOs: { SmsSendDetailDTO: dto },
    };
  }
  if (family === "tencent" && action === "PullSmsSendStatus") {
    const done = pulled.get(provider) ?? new Set<string>();
    pulled.set(provider, done);
    const fresh = provider.messages.filter((m) => m.provider === "tencent" && m.channel === "sms" && !done.has(m.id!));
    for (const m of fresh) done.add(m.id!);
    return {
      Response: {
        PullSmsSendStatusSet: fresh.map((m) => ({
          SerialNo: m.id,
          PhoneNumber: m.phone,
          ReportStatus: delivered(m.id!) ? "SUCCESS" : "FAIL",
          Description: delivered(m.id!) ? "用户接收成功" : "用户手机关机",
        })),
        RequestId: "req-test",
      },
    };
  }
  return null;
}

// ── answers ────────────────────────────────────────────────────────────────────────────────────────────────
function successAnswer(m: RecordedMessage, id: string): object {
  if (m.provider === "aliyun")
    return m.channel === "sms"
      ? { Code: "OK", Message: "OK", BizId: id, RequestId: "req-test" }
      : { Code: "OK", Message: "OK", CallId: id, RequestId: "req-test" };
  return m.channel === "sms"
    ? {
        Response: {
          SendStatusSet: [{ SerialNo: id, PhoneNumber: m.phone, Fee: 1, Code: "Ok", Message: "send success" }],
          RequestId: "req-test",
        },
      }
    : { Response: { SendStatus: { CallId: id, SessionContext: "" }, RequestId: "req-test" } };
}

/** What each provider answers when it refuses (HTTP 200 with a code, as both do for these). */
function faultAnswer(family: "aliyun" | "tencent", fault: "error" | "throttle", req: IncomingMessage): object {
  const sms = String(req.headers["x-tc-action"] ?? req.headers["x-acs-action"] ?? "") === "SendSms";
  if (family === "aliyun")
    return fault === "throttle"
      ? aliyunError("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控")
      : aliyunError("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号");
  if (fault === "throttle" && sms)
    return {
      Response: {
        SendStatusSet: [
          { SerialNo: "", Code: "LimitExceeded.PhoneNumberThirtySecondLimit", Message: "30秒内频率限制" },
        ],
        RequestId: "req-test",
      },
    };
  return fault === "throttle"
    ? tencentError("LimitExceeded.PhoneNumberDailyLimit", "单个手机号日频率限制")
    : tencentError("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误");
}

/** The gateway's configuration for SMS by `sms` and voice calls by `voice`, both through this loopback provider. */
export function messagingEnv(
  provider: LoopbackProvider,
  sms: "aliyun" | "tencent",
  voice: "aliyun" | "tencent" | "none" = "none",
): Record<string, string> {
  return {
    SMS_PROVIDER: sms,
    VOICE_PROVIDER: voice,
    ALIYUN_ACCESS_KEY_ID: ALIYUN_KEY.id,
    ALIYUN_ACCESS_KEY_SECRET: ALIYUN_KEY.secret,
    ALIYUN_API_URL: provider.url,
    TENCENTCLOUD_SECRET_ID: TENCENT_KEY.id,
    TENCENTCLOUD_SECRET_KEY: TENCENT_KEY.secret,
    TENCENTCLOUD_SMS_SDK_APP_ID: "1400000001",
    TENCENTCLOUD_VOICE_SDK_APP_ID: "1400000002",
    TENCENTCLOUD_API_URL: provider.url,
    SMS_SIGN_NAME: "望乡",
    SMS_TEMPLATE_SIGN_IN_CODE: "SMS_CODE",
    SMS_TEMPLATE_CALL_WAITING: "SMS_CALL",
    SMS_TEMPLATE_CAMERA_OFFLINE: "SMS_OFFLINE",
    SMS_TEMPLATE_CAMERA_BACK: "SMS_BACK",
    SMS_TEMPLATE_WELLBEING_CHECK: "SMS_WELLBEING",
    SMS_TEMPLATE_WELLBEING_VISIT: "SMS_VISIT",
    VOICE_TEMPLATE_CALL: "TTS_CALL",
    PROVIDER_TIMEOUT_MS: "1000",
    PROVIDER_RETRY_DELAY_MS: "20",
    // Tests pull receipts when they say (gateway.messaging.receipts.pull()), not on a timer.
    RECEIPT_PULL_INTERVAL_S: "0",
  };
}
