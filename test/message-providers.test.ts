// The providers' real SDKs against the loopback provider, which checks each request's signature as Alibaba
// Cloud (V3 ACS3-HMAC-SHA256 for SMS, RPC HMAC-SHA1 for Dyvms) and Tencent Cloud (TC3-HMAC-SHA256) document
// it: messages arrive with their template values in order; a wrong secret is refused; the provider's error,
// throttling, outage and silence are each sorted as the notifier needs (retry or not).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AliyunProvider } from "../gateway/src/notify/aliyun.ts";
import { ProviderError, type SmsProvider, type VoiceProvider } from "../gateway/src/notify/provider.ts";
import { TencentProvider } from "../gateway/src/notify/tencent.ts";
import { ALIYUN_KEY, startLoopbackProvider, TENCENT_KEY, type LoopbackProvider } from "./helpers/loopback-provider.ts";

let loopback: LoopbackProvider;
beforeAll(async () => {
  loopback = await startLoopbackProvider();
});
afterAll(() => loopback.stop());

const message = {
  phone: "+8613812345678",
  templateId: "SMS_0001",
  params: [
    ["code", "024681"],
    ["minutes", "5"],
  ] as [string, string][],
};

function aliyun(secret = ALIYUN_KEY.secret) {
  return new AliyunProvider({
    accessKeyId: ALIYUN_KEY.id,
    accessKeySecret: secret,
    signName: "望乡",
    apiUrl: loopback.url,
    timeoutMs: 800,
  });
}

function tencent(secret = TENCENT_KEY.secret) {
  return new TencentProvider({
    secretId: TENCENT_KEY.id,
    secretKey: secret,
    region: "ap-guangzhou",
    signName: "望乡",
    smsSdkAppId: "1400000001",
    voiceSdkAppId: "1400000002",
    apiUrl: loopback.url,
    timeoutMs: 1000,
  });
}

async function failure(send: Promise<unknown>): Promise<ProviderError> {
  const error = await send.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe.each([
  ["aliyun", aliyun],
  ["tencent", tencent],
] as const)("%s through its SDK", (name, make) => {
  let provider: SmsProvider & VoiceProvider;
  beforeAll(() => {
    provider = make();
  });

  it("sends an SMS and a voice call, each signed as the provider checks", async () => {
    const before = loopback.messages.length;
    const badBefore = loopback.badSignatures.length;
    const sms = await provider.sendSms(message);
    const call = await provider.callVoice({
      phone: "+8613912345678",
      templateId: "TTS_9",
      params: [["name", "黄兴容"]],
    });
    expect(loopback.badSignatures.slice(badBefore)).toEqual([]);
    expect(sms.messageId).toMatch(/^sms-/);
    expect(call.messageId).toMatch(/^voice-/);
    expect(loopback.messages.slice(before)).toMatchObject([
      {
        provider: name,
        channel: "sms",
        phone: "+8613812345678",
        templateId: "SMS_0001",
        params: ["024681", "5"],
        signName: "望乡",
      },
      { provider: name, channel: "voice", phone: "+8613912345678", templateId: "TTS_9", params: ["黄兴容"] },
    ]);
  });

  it("is refused with a wrong secret: the loopback provider really checks the signature", async () => {
    const before = loopback.badSignatures.length;
    const error = await failure(make("not-the-secret-0123456789").sendSms(message));
    expect(error.failure).toBe("rejected");
    expect(loopback.badSignatures.length).toBe(before + 1);
  });

  it("pulls delivery receipts: delivered, and not delivered with the operator's reason", async () => {
    const ok = await provider.sendSms(message);
    const lost = await provider.sendSms({ ...message, phone: "+8613700000000" });
    loopback.undeliverable.add(lost.messageId);
    const receipts = await provider.pullReceipts([
      { messageId: ok.messageId, phone: message.phone, sentAt: new Date() },
      { messageId: lost.messageId, phone: "+8613700000000", sentAt: new Date() },
    ]);
    expect(receipts).toEqual(
      expect.arrayContaining([
        { messageId: ok.messageId, delivered: true, error: null },
        { messageId: lost.messageId, delivered: false, error: expect.any(String) },
      ]),
    );
  });

  it("sorts the provider's refusals: throttling, a rejected number, an outage, no answer", async () => {
    loopback.failNext("throttle");
    expect((await failure(provider.sendSms(message))).failure).toBe("throttled");
    loopback.failNext("error");
    expect((await failure(provider.sendSms(message))).failure).toBe("rejected");
    loopback.failNext("outage");
    expect((await failure(provider.sendSms(message))).failure).toBe("unavailable");
    loopback.failNext("timeout");
    const started = Date.now();
    expect((await failure(provider.callVoice(message))).failure).toBe("unavailable");
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
