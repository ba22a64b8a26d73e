// "Ring this phone when home calls": subscribes the service worker to Web Push with the gateway's VAPID key.
import { useEffect, useState } from "preact/hooks";
import type { z } from "zod";
import type { ChannelsView, myPhoneView } from "../../../protocol/phone.ts";
import { ApiFailure, type ApiClient } from "../api.ts";
import { useServices, useT } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";
import { ErrorText } from "../ui/Layout.tsx";

const supported = () =>
  typeof window !== "undefined" && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

async function currentSubscription(): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.getRegistration();
  return (await registration?.pushManager.getSubscription()) ?? null;
}

/** The browser's refusals are English DOMExceptions: each becomes a code the screen translates. */
const notificationsDenied = () => new ApiFailure(0, "notifications-denied", "notifications are not allowed");

async function subscribe(api: ApiClient): Promise<void> {
  if ((await Notification.requestPermission()) !== "granted") throw notificationsDenied();
  const registration = await navigator.serviceWorker.ready;
  const { publicKey } = await api.get<{ publicKey: string }>("/push/key");
  const subscription = await registration.pushManager
    .subscribe({ userVisibleOnly: true, applicationServerKey: base64urlToBytes(publicKey) })
    .catch((error: unknown) => {
      // "Registration failed - permission denied": the site's notification permission, in other words.
      if (error instanceof DOMException && error.name === "NotAllowedError") throw notificationsDenied();
      throw new ApiFailure(0, "push-unavailable", String(error));
    });
  const json = subscription.toJSON();
  await api.request("POST", "/push/subscriptions", {
    body: { endpoint: json.endpoint, keys: json.keys, deviceName: navigator.userAgent.slice(0, 80) },
  });
}

function base64urlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** @param callButton some camera of the family's has the elder's call button (else there are no calls to announce). */
export function PushSetup({ callButton }: { callButton: boolean }) {
  const { t } = useT();
  const { api } = useServices();
  const [on, setOn] = useState<boolean | null>(null);
  useEffect(() => {
    if (supported())
      void currentSubscription().then(
        (s) => setOn(s !== null),
        () => setOn(false),
      );
  }, []);
  const enable = useAction(async () => {
    await subscribe(api);
    setOn(true);
  });
  if (!supported() || (enable.error && enable.error.code !== "notifications-denied")) return <NoPush />;
  if (on === null) return null;
  return (
    <section class="card push-setup">
      {on ? (
        <p class="muted">{t("call.pushOn")}</p>
      ) : (
        <>
          <p>{callButton ? t("call.pushOffer") : t("call.pushOfferNoButton")}</p>
          <button type="button" disabled={enable.busy} onClick={() => void enable.run()}>
            {enable.busy ? t("common.wait") : t("call.pushEnable")}
          </button>
        </>
      )}
      <ErrorText error={enable.error} />
    </section>
  );
}

/** Web Push is missing on this phone (most phone makers' browsers, WeChat's) or did not subscribe: say what
 *  reaches this person instead. */
function NoPush() {
  const { t } = useT();
  const { api } = useServices();
  const channels = useLoad((signal) => api.get<ChannelsView>("/channels", { signal }), []);
  const mine = useLoad((signal) => api.get<z.infer<typeof myPhoneView>>("/auth/phone", { signal }), []);
  if (!channels.data || !mine.data) return null;
  const instead = !channels.data.sms
    ? t("phone.pushMissingNoSms")
    : mine.data.verifiedAt
      ? t("phone.pushMissingSms")
      : t("phone.pushMissingNoNumber");
  return (
    <section class="card push-setup" data-testid="no-push">
      <p>{t("phone.pushMissing")}</p>
      <p>{instead}</p>
      {channels.data.sms && !mine.data.verifiedAt ? <a href="/account">{t("phone.bindNow")}</a> : null}
    </section>
  );
}
