// Web Push in the app's service worker (imported by the Workbox worker, see vite.config.ts): show calls and
// notices the gateway sends (JSON, see protocol/calls.ts pushPayload); a tap opens the page they name.
self.addEventListener("push", (event) => {
  let message;
  try {
    message = event.data.json();
  } catch {
    return;
  }
  const call = message.kind === "call";
  // A wellbeing question stays on screen until someone looks at it, like a call.
  const mustSee = call || message.kind === "wellbeing";
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      tag: message.tag,
      renotify: mustSee,
      requireInteraction: mustSee,
      lang: "zh-CN",
      icon: "/icon-192.png",
      badge: "/icon-192.png",
      vibrate: call ? [400, 200, 400, 200, 400] : undefined,
      data: { url: message.url },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url ?? "/family", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (open) {
        await open.focus();
        return open.navigate(url);
      }
      return self.clients.openWindow(url);
    })(),
  );
});
