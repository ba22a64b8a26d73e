// What every screen needs, handed down by the App: translations, the API client, the session, live events.
import type { i18n as I18n } from "i18next";
import { createContext } from "preact";
import { useContext, useEffect, useReducer } from "preact/hooks";
import type { ApiClient } from "./api.ts";
import type { LiveClient } from "./live.ts";
import type { SessionStore } from "./session.ts";

export interface AppServices {
  i18n: I18n;
  api: ApiClient;
  session: SessionStore;
  live: LiveClient;
}

export const Services = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const services = useContext(Services);
  if (!services) throw new Error("useServices outside <Services.Provider>");
  return services;
}

/** t() that re-renders the component when the language changes. */
export function useT() {
  const { i18n } = useServices();
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    i18n.on("languageChanged", rerender);
    return () => i18n.off("languageChanged", rerender);
  }, [i18n]);
  return { t: i18n.t.bind(i18n), lang: i18n.language };
}
