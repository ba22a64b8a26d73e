import type { DeviceView } from "../types.ts";
import { useT } from "../context.ts";

/** Online / offline / not yet seen, as words plus a shape (not colour alone) for colour-blind readers. */
export function StateBadge({ connection }: { connection: DeviceView["connection"] }) {
  const { t } = useT();
  const mark = connection === "online" ? "●" : connection === "offline" ? "■" : "○";
  return (
    <span class={`badge badge-${connection}`} data-state={connection}>
      {mark} {t(`state.${connection}`)}
    </span>
  );
}

export function PrivacyBadge({ on }: { on: boolean }) {
  const { t } = useT();
  return on ? <span class="badge badge-privacy">{t("camera.privacyOn")}</span> : null;
}
