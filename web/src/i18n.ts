// i18next, zh-CN first and in the first download; English is a chunk of its own, fetched only by those who
// choose it (before the switch, or at start when it was their choice). The choice is kept in localStorage.
import i18next, { type i18n as I18n } from "i18next";
import { zhCN } from "./locales/zh-CN.ts";

export const languages = ["zh-CN", "en"] as const;
export type Language = (typeof languages)[number];
const storageKey = "wx.lang";

export function savedLanguage(storage: Pick<Storage, "getItem"> = localStorage): Language {
  const saved = storage.getItem(storageKey);
  return saved === "en" ? "en" : "zh-CN";
}

/** Instances holding English's main strings (lazy screens add their own English bundles, so ask no bundle). */
const withEnglish = new WeakSet<I18n>();

/** Switches language, fetching English's strings first when they are not here yet. */
export async function switchLanguage(instance: I18n, lng: Language): Promise<void> {
  if (lng === "en" && !withEnglish.has(instance)) {
    const { en } = await import("./locales/en.ts");
    instance.addResourceBundle("en", "translation", en, true, false);
    withEnglish.add(instance);
  }
  await instance.changeLanguage(lng);
}

export async function createI18n(): Promise<I18n> {
  const instance = i18next.createInstance();
  await instance.init({
    lng: "zh-CN",
    fallbackLng: "zh-CN",
    resources: { "zh-CN": { translation: zhCN } },
    interpolation: { escapeValue: false }, // Preact escapes text already
    returnNull: false,
  });
  if (savedLanguage() === "en") await switchLanguage(instance, "en").catch(() => undefined); // offline: stay zh-CN
  document.documentElement.lang = instance.language;
  instance.on("languageChanged", (lng) => {
    localStorage.setItem(storageKey, lng);
    document.documentElement.lang = lng;
  });
  return instance;
}
