// "Ring this phone when home calls": subscribes the service worker to Web Push with the gateway's VAPID key.
import { useEffect, useState } from "preact/hooks";
import type { ApiClient } from "../api.ts";
import { useServices, useT } from "../context.ts";
import { useAction } from "../hooks.ts";
import { ErrorText } from "../ui/Layout.tsx";

const supported = () =>
  typeof window !== "undefined" && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

async function currentSubscription(): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.getRegistration();
  return (await registration?.pushManager.getSubscription()) ?? null;
}

async function subscribe(api: ApiClient): Promise<void> {
  if ((await Notification.requestPermission()) !== "granted") throw new Error("notifications-denied");
  const registration = await navigator.serviceWorker.ready;
  const { publicKey } = await api.get<{ publicKey: string }>("/push/key");
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: base64urlToBytes(publicKey),
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

export function PushSetup() {
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
  if (!supported() || on === null) return null;
  return (
    <section class="card push-setup">
      {on ? (
        <p class="muted">{t("call.pushOn")}</p>
      ) : (
        <>
          <p>{t("call.pushOffer")}</p>
          <button type="button" disabled={enable.busy} onClick={() => void enable.run()}>
            {enable.busy ? t("common.wait") : t("call.pushEnable")}
          </button>
        </>
      )}
      <ErrorText error={enable.error} />
    </section>
  );
}
