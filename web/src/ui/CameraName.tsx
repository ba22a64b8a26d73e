// A camera's name (堂屋, 厨房): shown, and changed in place by anyone who may (household members, installers
// and staff; PATCH /devices/{id}). The new name reaches every screen through the reloaded detail.
import { useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { useAction } from "../hooks.ts";
import { ErrorText } from "./Layout.tsx";

export function CameraName({
  device,
  onRenamed,
}: {
  device: { id: string; label: string | null };
  onRenamed: () => void;
}) {
  const { t } = useT();
  const { api } = useServices();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(device.label ?? "");
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    await api.request("PATCH", `/devices/${encodeURIComponent(device.id)}`, { body: { label: name.trim() } });
    setEditing(false);
    setSaved(true);
    onRenamed();
  });
  if (!editing)
    return (
      <dd>
        <span data-testid="camera-name">{device.label ?? t("camera.noName")}</span>
        <button
          type="button"
          class="small"
          onClick={() => {
            setName(device.label ?? "");
            setSaved(false);
            setEditing(true);
          }}
        >
          {t("camera.rename")}
        </button>
        {saved ? (
          <small class="ok" role="status">
            {t("common.saved")}
          </small>
        ) : null}
      </dd>
    );
  return (
    <dd>
      <form
        class="row wrap"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run();
        }}
      >
        <input
          name="cameraName"
          value={name}
          maxLength={40}
          required
          aria-label={t("camera.name")}
          placeholder={t("scan.labelHint")}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit" class="small primary" disabled={save.busy || name.trim() === ""}>
          {t("common.save")}
        </button>
        <button type="button" class="small" onClick={() => setEditing(false)}>
          {t("common.cancel")}
        </button>
      </form>
      <ErrorText error={save.error} />
    </dd>
  );
}
