// The installer's screens, as one lazily loaded chunk.
export { InstallerHome } from "./InstallerHome.tsx";
export { HouseholdScreen } from "./HouseholdScreen.tsx";

/**
 * The service worker caches /assets/ files as they are fetched, but this chunk and its dependencies were fetched
 * before it took control of a first visit. Fetch them again through it, so a reopened app works with no signal.
 */
function keepAssetsOffline(): void {
  const worker = navigator.serviceWorker;
  if (!worker) return;
  const warm = () => {
    for (const entry of performance.getEntriesByType("resource")) {
      const url = new URL(entry.name);
      if (url.origin === location.origin && url.pathname.startsWith("/assets/")) void fetch(url).catch(() => undefined);
    }
  };
  if (worker.controller) warm();
  else worker.addEventListener("controllerchange", warm, { once: true });
}
/** With signal, fetch the QR decoder and its worker now (≈16 KB gzip), so a box can be scanned where there is none. */
function prefetchScanner(): void {
  if (navigator.onLine)
    void Promise.all([import("qr-scanner"), import("qr-scanner/qr-scanner-worker.min.js")]).catch(() => undefined);
}
prefetchScanner();
keepAssetsOffline();
