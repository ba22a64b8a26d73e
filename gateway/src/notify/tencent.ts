// Tencent Cloud: SMS through its official SDK (tencentcloud-sdk-nodejs-sms, SendSms 2021-01-11) and voice
// notification calls (VMS SendTtsVoice 2020-09-02) through the same SDK family's signed client
// (tencentcloud-sdk-nodejs-common's CommonClient: the VMS service has no sub-package of its own on npm).
// Both sign with TC3-HMAC-SHA256; the service in the signature is the first label of the API host.
import { Agent } from "node:http";
import { createRequire } from "node:module";
import { connect, type Socket } from "node:net";
import {
  classifyProviderError,
  type DeliveryReceipt,
  ProviderError,
  type ProviderMessage,
  type ProviderReceipt,
  type SmsProvider,
  type VoiceProvider,
} from "./provider.ts";

const require = createRequire(import.meta.url);
const { sms } = require("tencentcloud-sdk-nodejs-sms") as typeof import("tencentcloud-sdk-nodejs-sms");
const { CommonClient } = require("tencentcloud-sdk-nodejs-common") as typeof import("tencentcloud-sdk-nodejs-common");

export interface TencentOptions {
  secretId: string;
  secretKey: string;
  region: string;
  signName: string;
  smsSdkAppId: string;
  voiceSdkAppId?: string | undefined;
  /**
   * Another address to send the API requests to (the tests' loopback provider): http://host:port. Requests are
   * still addressed to, and signed for, sms.tencentcloudapi.com and vms.tencentcloudapi.com.
   */
  apiUrl?: string | undefined;
  timeoutMs: number;
}

const codes = {
  throttled: /^LimitExceeded\.(PhoneNumber|DeliveryFrequency|AppDailyLimit|DailyLimit)/,
  unavailable: /^(RequestLimitExceeded|InternalError|ServiceUnavailable|FailedOperation\.(ContainSensitiveWord)?Busy)/,
};

/** An agent that opens every connection to one address, whatever host the URL names. */
function dialAgent(apiUrl: string): Agent {
  const { hostname, port } = new URL(apiUrl);
  const agent = new Agent({ keepAlive: true });
  (agent as unknown as { createConnection: () => Socket }).createConnection = () =>
    connect({ host: hostname, port: Number(port) || 80 });
  return agent;
}

export class TencentProvider implements SmsProvider, VoiceProvider {
  readonly name = "tencent" as const;
  readonly #o: TencentOptions;
  readonly #sms: InstanceType<typeof sms.v20210111.Client>;
  readonly #vms: InstanceType<typeof CommonClient>;

  constructor(options: TencentOptions) {
    this.#o = options;
    const httpProfile = {
      reqTimeout: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
      ...(options.apiUrl ? { protocol: "http://", agent: dialAgent(options.apiUrl) } : {}),
    };
    const credential = { secretId: options.secretId, secretKey: options.secretKey };
    this.#sms = new sms.v20210111.Client({
      credential,
      region: options.region,
      profile: { httpProfile: { ...httpProfile, endpoint: "sms.tencentcloudapi.com" } },
    });
    this.#vms = new CommonClient("vms.tencentcloudapi.com", "2020-09-02", {
      credential,
      region: options.region,
      profile: { httpProfile: { ...httpProfile, endpoint: "vms.tencentcloudapi.com" } },
    });
  }

  async sendSms(message: ProviderMessage): Promise<ProviderReceipt> {
    let reply;
    try {
      reply = await this.#sms.SendSms({
        PhoneNumberSet: [message.phone],
        SmsSdkAppId: this.#o.smsSdkAppId,
        SignName: this.#o.signName,
        TemplateId: message.templateId,
        TemplateParamSet: message.params.map(([, value]) => value),
      });
    } catch (error) {
      throw classifyProviderError(error, codes);
    }
    const status = reply.SendStatusSet?.[0];
    if (status?.Code !== "Ok")
      throw classifyProviderError({ code: status?.Code ?? "", message: status?.Message ?? "no send status" }, codes);
    return { messageId: status.SerialNo ?? "" };
  }

  /** PullSmsSendStatus hands out each receipt once: one for a message not asked about (older than a day) is dropped. */
  async pullReceipts(sent: { messageId: string }[]): Promise<DeliveryReceipt[]> {
    const wanted = new Set(sent.map((m) => m.messageId));
    let reply;
    try {
      reply = await this.#sms.PullSmsSendStatus({ Limit: 100, SmsSdkAppId: this.#o.smsSdkAppId });
    } catch (error) {
      throw classifyProviderError(error, codes);
    }
    return (reply.PullSmsSendStatusSet ?? [])
      .filter((s) => s.SerialNo && wanted.has(s.SerialNo))
      .map((s) => ({
        messageId: s.SerialNo!,
        delivered: s.ReportStatus === "SUCCESS",
        error: s.ReportStatus === "SUCCESS" ? null : (s.Description ?? "undelivered"),
      }));
  }

  async callVoice(message: ProviderMessage): Promise<ProviderReceipt> {
    if (!this.#o.voiceSdkAppId)
      throw new ProviderError("rejected", "no-voice-app", "TENCENTCLOUD_VOICE_SDK_APP_ID is not set");
    let reply: { SendStatus?: { CallId?: string } };
    try {
      reply = (await this.#vms.request("SendTtsVoice", {
        TemplateId: message.templateId,
        TemplateParamSet: message.params.map(([, value]) => value),
        CalledNumber: message.phone,
        VoiceSdkAppid: this.#o.voiceSdkAppId,
        PlayTimes: 2,
      })) as typeof reply;
    } catch (error) {
      throw classifyProviderError(error, codes);
    }
    const callId = reply.SendStatus?.CallId;
    if (!callId) throw new ProviderError("rejected", "no-call-id", "the voice API answered without a call id");
    return { messageId: callId };
  }
}
