// A notice about the home's camera (offline for a while, back) on whatever family page is open, until
// dismissed; the home page keeps the list.
import { useState } from "preact/hooks";
import { useT } from "../context.ts";
import { useLiveEvents } from "../hooks.ts";
import type { Notice } from "../types.ts";

export function NoticeToast() {
  const { t } = useT();
  const [notice, setNotice] = useState<Notice | null>(null);
  useLiveEvents((message) => {
    if (message.type === "notice") setNotice(message.notice);
  });
  if (!notice) return null;
  return (
    <div
      class={notice.kind === "camera-offline" ? "notice-toast warn" : "notice-toast ok"}
      role="alert"
      data-testid="notice-toast"
    >
      <strong>{notice.title}</strong>
      <p>{notice.body}</p>
      <button type="button" class="small" onClick={() => setNotice(null)}>
        {t("notices.dismiss")}
      </button>
    </div>
  );
}
