// The installer's screens, as one lazily loaded chunk.
export { InstallerHome } from "./InstallerHome.tsx";
export { HouseholdScreen } from "./HouseholdScreen.tsx";
export { WellbeingChecksScreen } from "../ui/WellbeingChecks.tsx";

/** With signal, fetch the QR decoder and its worker now (≈16 KB gzip), so a box can be scanned where there is none. */
function prefetchScanner(): Promise<unknown> {
  return Promise.allSettled([import("qr-scanner"), import("qr-scanner/qr-scanner-worker.min.js")]);
}

function controlled(worker: ServiceWorkerContainer): Promise<void> {
  if (worker.controller) return Promise.resolve();
  return new Promise((resolve) => worker.addEventListener("controllerchange", () => resolve(), { once: true }));
}

/**
 * The service worker caches /assets/ files as they pass through it, but on a first visit this chunk, its
 * dependencies and the QR decoder can be fetched before it takes control. Once it controls the page and the
 * decoder's fetches have ended, fetch every asset again through it, so a reopened app works with no signal.
 * Warming at the moment it took control missed the decoder when its fetch was still under way.
 */
async function keepAssetsOffline(fetching: Promise<unknown>): Promise<void> {
  const worker = navigator.serviceWorker;
  if (!worker) return;
  await Promise.all([fetching, controlled(worker)]);
  for (const entry of performance.getEntriesByType("resource")) {
    const url = new URL(entry.name);
    if (url.origin === location.origin && url.pathname.startsWith("/assets/")) void fetch(url).catch(() => undefined);
  }
}

if (navigator.onLine) void keepAssetsOffline(prefetchScanner());
