// i18next with both languages bundled (they are small); zh-CN first, the choice kept in localStorage.
import i18next, { type i18n as I18n } from "i18next";
import { en } from "./locales/en.ts";
import { zhCN } from "./locales/zh-CN.ts";

export const languages = ["zh-CN", "en"] as const;
export type Language = (typeof languages)[number];
const storageKey = "wx.lang";

export function savedLanguage(storage: Pick<Storage, "getItem"> = localStorage): Language {
  const saved = storage.getItem(storageKey);
  return saved === "en" ? "en" : "zh-CN";
}

export async function createI18n(): Promise<I18n> {
  const instance = i18next.createInstance();
  await instance.init({
    lng: savedLanguage(),
    fallbackLng: "zh-CN",
    resources: { "zh-CN": { translation: zhCN }, en: { translation: en } },
    interpolation: { escapeValue: false }, // Preact escapes text already
    returnNull: false,
  });
  document.documentElement.lang = instance.language;
  instance.on("languageChanged", (lng) => {
    localStorage.setItem(storageKey, lng);
    document.documentElement.lang = lng;
  });
  return instance;
}
