// Alibaba Cloud: SMS through its official SDK (@alicloud/dysmsapi20170525, which signs with ACS3-HMAC-SHA256),
// voice notification calls (Dyvmsapi SingleCallByTts) through the signed generic RPC client @alicloud/pop-core
// (HMAC-SHA1 RPC signature): Dyvmsapi has no dedicated npm SDK.
import { createRequire } from "node:module";
import {
  classifyProviderError,
  type DeliveryReceipt,
  ProviderError,
  type ProviderMessage,
  type ProviderReceipt,
  type SmsProvider,
  type VoiceProvider,
} from "./provider.ts";

// Both SDKs are CommonJS; their classes are reached the same way whatever the loader does with defaults.
const require = createRequire(import.meta.url);
const dysms = require("@alicloud/dysmsapi20170525") as typeof import("@alicloud/dysmsapi20170525");
const PopCore = require("@alicloud/pop-core") as new (config: PopConfig) => PopClient;

interface PopConfig {
  accessKeyId: string;
  accessKeySecret: string;
  endpoint: string;
  apiVersion: string;
}
interface PopClient {
  request(action: string, params: object, opts: object): Promise<{ Code?: string; CallId?: string; Message?: string }>;
}

export interface AliyunOptions {
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  /** Number the called phone shows for voice calls (a number bought with the voice service); optional. */
  voiceShowNumber?: string | undefined;
  /** Another address for both APIs (a private endpoint, or the tests' loopback provider): http(s)://host:port */
  apiUrl?: string | undefined;
  timeoutMs: number;
}

/** Per-number flow control, and the API's own rate limits and outages. */
const codes = {
  throttled: /^isv\.(BUSINESS_LIMIT_CONTROL|DAY_LIMIT_CONTROL|OUT_OF_SERVICE_LIMIT)|^isv\.ANTI_SPAM/,
  unavailable: /^(Throttling|ServiceUnavailable|InternalError|isp\.SYSTEM_ERROR|isp\.RAM_PERMISSION_DENY)/,
};

const paramsObject = (params: ProviderMessage["params"]) => JSON.stringify(Object.fromEntries(params));
const nationalNumber = (e164: string) => e164.replace(/^\+86/, "");
/** yyyyMMdd in China's time, as QuerySendDetails takes the send date. */
const chinaDate = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, "");

export class AliyunProvider implements SmsProvider, VoiceProvider {
  readonly name = "aliyun" as const;
  readonly #o: AliyunOptions;
  readonly #sms: InstanceType<typeof dysms.default>;
  readonly #voice: PopClient;

  constructor(options: AliyunOptions) {
    this.#o = options;
    const url = options.apiUrl ? new URL(options.apiUrl) : null;
    this.#sms = new dysms.default({
      accessKeyId: options.accessKeyId,
      accessKeySecret: options.accessKeySecret,
      endpoint: url ? url.host : "dysmsapi.aliyuncs.com",
      protocol: url ? url.protocol.replace(":", "") : "https",
      readTimeout: options.timeoutMs,
      connectTimeout: options.timeoutMs,
    } as ConstructorParameters<typeof dysms.default>[0]);
    this.#voice = new PopCore({
      accessKeyId: options.accessKeyId,
      accessKeySecret: options.accessKeySecret,
      endpoint: url ? url.origin : "https://dyvmsapi.aliyuncs.com",
      apiVersion: "2017-05-25",
    });
  }

  async sendSms(message: ProviderMessage): Promise<ProviderReceipt> {
    const request = new dysms.SendSmsRequest({
      phoneNumbers: nationalNumber(message.phone),
      signName: this.#o.signName,
      templateCode: message.templateId,
      templateParam: paramsObject(message.params),
    });
    let reply;
    try {
      // The notifier decides about retries: the SDK's own are off.
      reply = await this.#sms.sendSmsWithOptions(request, { autoretry: false, maxAttempts: 1 } as never);
    } catch (error) {
      throw classifyProviderError(error, codes);
    }
    const body = reply.body;
    if (body?.code !== "OK") throw classifyProviderError({ code: body?.code ?? "", message: body?.message }, codes);
    return { messageId: body.bizId ?? "" };
  }

  /** QuerySendDetails per message (the API answers one number and day at a time); status 1 is still waiting. */
  async pullReceipts(sent: { messageId: string; phone: string; sentAt: Date }[]): Promise<DeliveryReceipt[]> {
    const receipts: DeliveryReceipt[] = [];
    for (const m of sent) {
      const reply = await this.#sms
        .querySendDetailsWithOptions(
          new dysms.QuerySendDetailsRequest({
            phoneNumber: nationalNumber(m.phone),
            bizId: m.messageId,
            sendDate: chinaDate(m.sentAt),
            pageSize: 10,
            currentPage: 1,
          }),
          { autoretry: false, maxAttempts: 1 } as never,
        )
        .catch((error: unknown) => {
          throw classifyProviderError(error, codes);
        });
      const detail = reply.body?.smsSendDetailDTOs?.smsSendDetailDTO?.[0];
      if (detail?.sendStatus === 3) receipts.push({ messageId: m.messageId, delivered: true, error: null });
      if (detail?.sendStatus === 2)
        receipts.push({ messageId: m.messageId, delivered: false, error: detail.errCode ?? "undelivered" });
    }
    return receipts;
  }

  async callVoice(message: ProviderMessage): Promise<ProviderReceipt> {
    let reply;
    try {
      reply = await this.#voice.request(
        "SingleCallByTts",
        {
          CalledNumber: nationalNumber(message.phone),
          TtsCode: message.templateId,
          TtsParam: paramsObject(message.params),
          PlayTimes: 2,
          ...(this.#o.voiceShowNumber ? { CalledShowNumber: this.#o.voiceShowNumber } : {}),
        },
        { method: "POST", timeout: this.#o.timeoutMs },
      );
    } catch (error) {
      throw classifyProviderError(error, codes);
    }
    if (!reply.CallId) throw new ProviderError("rejected", reply.Code ?? "", reply.Message ?? "no call id");
    return { messageId: reply.CallId };
  }
}
