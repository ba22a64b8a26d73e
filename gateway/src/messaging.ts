// Builds the messaging parts from the configuration: the SMS and voice providers (or none), the notifier over
// them and Web Push, the sign-in codes, and the elder's-call escalation. Part of the composition root.
import type { Database } from "../../core/database.ts";
import { PhoneCodes } from "./access/phone-codes.ts";
import { CallEscalation } from "./calls/call-escalation.ts";
import type { GatewayConfig } from "./config.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { AliyunProvider } from "./notify/aliyun.ts";
import { createNotifier, type MessageTemplate, type Notifier, type PushChannel } from "./notify/notifier.ts";
import { ReceiptPuller } from "./notify/receipts.ts";
import { TencentProvider } from "./notify/tencent.ts";

export interface Messaging {
  notifier: Notifier;
  phoneCodes: PhoneCodes;
  escalation: CallEscalation;
  /** Delivery receipts of SMS (absent without an SMS provider). */
  receipts: ReceiptPuller | null;
}

interface Logger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export function createMessaging(
  config: GatewayConfig,
  { db, metrics, log, push }: { db: Database; metrics: GatewayMetrics; log: Logger; push: PushChannel },
): Messaging {
  const providers = { aliyun: lazy(() => aliyunProvider(config)), tencent: lazy(() => tencentProvider(config)) };
  const sms = config.SMS_PROVIDER === "none" ? null : providers[config.SMS_PROVIDER]();
  const notifier = createNotifier({
    db,
    metrics,
    log,
    push,
    sms,
    voice: config.VOICE_PROVIDER === "none" ? null : providers[config.VOICE_PROVIDER](),
    templateIds: templateIds(config),
    householdDailyCap: config.MESSAGES_PER_HOUSEHOLD_DAY,
    deploymentDailyCap: config.MESSAGES_PER_DEPLOYMENT_DAY,
    retryDelaysMs: [config.PROVIDER_RETRY_DELAY_MS, config.PROVIDER_RETRY_DELAY_MS * 3],
  });
  const phoneCodes = new PhoneCodes({
    db,
    log,
    limits: {
      ttlS: config.SMS_CODE_TTL_S,
      maxTries: config.SMS_CODE_MAX_TRIES,
      intervalS: config.SMS_CODE_INTERVAL_S,
      perNumberHour: config.SMS_CODES_PER_NUMBER_HOUR,
      perNumberDay: config.SMS_CODES_PER_NUMBER_DAY,
      perAddressHour: config.SMS_CODES_PER_ADDRESS_HOUR,
    },
    sendCode: (to, code, minutes) =>
      notifier.sms(to, "sign-in-code", { code, minutes: String(minutes) }, { once: true }),
    count: (event) => metrics.phoneCodes.inc({ event }),
  });
  const escalation = new CallEscalation({
    db,
    notifier,
    log,
    smsAfterMs: config.CALL_SMS_AFTER_S * 1000,
    appUrl: config.PUBLIC_APP_URL?.replace(/\/$/, "") ?? null,
  });
  describeChannels(notifier, log);
  const receipts = sms
    ? new ReceiptPuller({ db, provider: sms, metrics, log, intervalMs: config.RECEIPT_PULL_INTERVAL_S * 1000 })
    : null;
  return { notifier, phoneCodes, escalation, receipts };
}

/** Said once at start: a deployment without SMS must know that the elder's call reaches only open apps. */
function describeChannels(notifier: Notifier, log: Logger): void {
  const { sms, voice } = notifier.channels;
  if (!sms)
    log.warn(
      { sms, voice },
      "no SMS provider configured (SMS_PROVIDER): sign-in codes cannot be sent, and the elder's call reaches only open apps and Web Push",
    );
  else log.info({ sms, voice }, "SMS and voice notification channels");
}

function templateIds(config: GatewayConfig): Partial<Record<MessageTemplate, string>> {
  const ids: Partial<Record<MessageTemplate, string | undefined>> = {
    "sign-in-code": config.SMS_TEMPLATE_SIGN_IN_CODE,
    "call-waiting": config.SMS_TEMPLATE_CALL_WAITING,
    "camera-offline": config.SMS_TEMPLATE_CAMERA_OFFLINE,
    "camera-back": config.SMS_TEMPLATE_CAMERA_BACK,
    "wellbeing-check": config.SMS_TEMPLATE_WELLBEING_CHECK,
    "wellbeing-visit": config.SMS_TEMPLATE_WELLBEING_VISIT,
    "call-voice": config.VOICE_TEMPLATE_CALL,
  };
  return Object.fromEntries(Object.entries(ids).filter(([, id]) => id)) as Partial<Record<MessageTemplate, string>>;
}

function aliyunProvider(config: GatewayConfig): AliyunProvider {
  return new AliyunProvider({
    accessKeyId: config.ALIYUN_ACCESS_KEY_ID!,
    accessKeySecret: config.ALIYUN_ACCESS_KEY_SECRET!,
    signName: config.SMS_SIGN_NAME ?? "",
    voiceShowNumber: config.ALIYUN_VOICE_SHOW_NUMBER,
    apiUrl: config.ALIYUN_API_URL,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
  });
}

function tencentProvider(config: GatewayConfig): TencentProvider {
  return new TencentProvider({
    secretId: config.TENCENTCLOUD_SECRET_ID!,
    secretKey: config.TENCENTCLOUD_SECRET_KEY!,
    region: config.TENCENTCLOUD_REGION,
    signName: config.SMS_SIGN_NAME ?? "",
    smsSdkAppId: config.TENCENTCLOUD_SMS_SDK_APP_ID ?? "",
    voiceSdkAppId: config.TENCENTCLOUD_VOICE_SDK_APP_ID,
    apiUrl: config.TENCENTCLOUD_API_URL,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
  });
}

/** One instance per provider, made when first asked for (SMS and voice by the same provider share it). */
function lazy<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}
