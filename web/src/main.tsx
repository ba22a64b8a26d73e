import { render } from "preact";
import { App } from "./App.tsx";
import { createApi } from "./api.ts";
import { createI18n } from "./i18n.ts";
import { createLiveClient } from "./live.ts";
import { createSessionStore } from "./session.ts";
import "./styles.css";

const session = createSessionStore();
const api = createApi({
  token: () => session.current()?.token ?? null,
  onUnauthorized: () => session.end("unauthorized"),
});
const live = createLiveClient();
// The server ended the sign-in (signed out elsewhere, expired, revoked, account disabled): say why on the sign-in page.
live.onEnded((reason) => session.end(reason));
void createI18n().then((i18n) => {
  const root = document.getElementById("app")!;
  root.textContent = ""; // the "loading" line shown before the script arrived
  render(<App services={{ i18n, api, session, live }} />, root);
});

// The service worker caches the app shell, so the app opens on a bad connection; it is not needed to run.
if ("serviceWorker" in navigator && import.meta.env.PROD) {
  addEventListener("load", () => navigator.serviceWorker.register("/sw.js").catch(() => {}));
}
