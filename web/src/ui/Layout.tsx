import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import type { ApiClient } from "../api.ts";
import type { LiveClient, LiveState } from "../live.ts";
import { clearInstallerData, unsentBinds } from "../installer/offline-store.ts";

/** The page frame: title, back link, language switch, sign-out, and whether live updates are flowing. */
export function Layout({ title, back, children }: { title: string; back?: string; children: ComponentChildren }) {
  const { t, lang } = useT();
  const { i18n, session, live, api } = useServices();
  const liveDown = useLiveDown(live);
  useEffect(() => {
    document.title = `${title} · ${t("app.name")}`;
  }, [title, lang]);
  const signedIn = session.current();
  return (
    <div class="page">
      <header class="topbar">
        {back ? (
          <a class="back" href={back} aria-label={t("common.back")}>
            ‹
          </a>
        ) : (
          <span class="logo" aria-hidden="true">
            望
          </span>
        )}
        <h1>{title}</h1>
        {/* The one way back for a reader of the other language: named in that language, and marked as such. */}
        <button
          type="button"
          class="lang"
          lang={lang === "en" ? "zh-CN" : "en"}
          onClick={() => i18n.changeLanguage(lang === "en" ? "zh-CN" : "en")}
          aria-label={t("common.switchLanguage")}
        >
          {lang === "en" ? "中文" : "English"}
        </button>
      </header>
      {signedIn && liveDown ? (
        <p class="offline-bar" role="status">
          {t("live.down")}
        </p>
      ) : null}
      <main>{children}</main>
      {signedIn ? (
        <footer class="footer">
          <span>{signedIn.user.displayName}</span>
          <a href="/account">{t("account.link")}</a>
          {signedIn.user.role === "staff" ? <a href="/staff/accounts">{t("accounts.link")}</a> : null}
          <button
            type="button"
            class="link"
            onClick={() =>
              void signOut(
                api,
                (count) => confirm(t("auth.signOutUnsent", { count })),
                () => session.set(null),
              )
            }
          >
            {t("auth.signOut")}
          </button>
        </footer>
      ) : null}
    </div>
  );
}

/**
 * Ends the sign-in on the server too (a token left valid there could still be used), then here, and deletes
 * what was kept on the phone for working without signal (asking first when binds are still waiting to be sent).
 */
async function signOut(api: ApiClient, confirmLoss: (unsent: number) => boolean, clear: () => void): Promise<void> {
  const unsent = await unsentBinds().catch(() => 0);
  if (unsent > 0 && !confirmLoss(unsent)) return;
  await api.request("POST", "/auth/logout").catch(() => undefined);
  await clearInstallerData().catch(() => undefined);
  clear();
}

/** True once live updates have been away for a moment; a socket that opens quickly shows no warning. */
function useLiveDown(live: LiveClient, graceMs = 2500): boolean {
  const [down, setDown] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = (state: LiveState) => {
      clearTimeout(timer);
      if (state === "open") setDown(false);
      else timer = setTimeout(() => setDown(true), graceMs);
    };
    update(live.state()); // it may have opened between render and this effect
    const unsubscribe = live.onState(update);
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [live]);
  return down;
}

export function ErrorText({ error }: { error: { code: string; message: string } | null }) {
  const { t, lang } = useT();
  const { i18n } = useServices();
  if (!error) return null;
  const key = `errors.${error.code}`;
  // A code this app has no words for is said generally; the server's message is English, for logs.
  return (
    <p class="error" role="alert" data-error={error.code}>
      {i18n.exists(key) ? t(key) : lang.startsWith("zh") ? t("errors.unknown") : error.message}
    </p>
  );
}

export function Loading() {
  const { t } = useT();
  return (
    <p class="muted" aria-busy="true">
      {t("common.loading")}
    </p>
  );
}

/** "已保存" beside a settings form once its last change is stored. */
export function SavedNote({ shown }: { shown: boolean }) {
  const { t } = useT();
  return shown ? (
    <small class="ok saved" role="status" data-testid="saved">
      {t("common.saved")}
    </small>
  ) : null;
}
