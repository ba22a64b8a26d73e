// A camera box, by scanning its QR code or typing serial + claim code; used to add a camera and to replace one.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Ref } from "preact";
import { bindDeviceBody, parseBoxQr } from "../../../protocol/http.ts";
import { useT } from "../context.ts";
import { formProblems } from "../form-problems.ts";
import { QrScan } from "./QrScan.tsx";

export type BoxCode = { serial: string; claimCode: string; label?: string } | { qr: string; label?: string };

export function CameraCodeForm({
  busy,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  busy: boolean;
  submitLabel: string;
  onSubmit: (code: BoxCode) => void;
  onCancel?: () => void;
}) {
  const { t } = useT();
  const [mode, setMode] = useState<"type" | "scan">("type");
  const [serial, setSerial] = useState("");
  const [claimCode, setClaimCode] = useState("");
  const [label, setLabel] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const [scannedSerial, setScannedSerial] = useState<string | null>(null);
  const labelInput = useRef<HTMLInputElement>(null);

  const submit = (raw: Record<string, unknown>) => {
    const parsed = bindDeviceBody.safeParse({ ...raw, label: label.trim() || undefined });
    if (!parsed.success) return setInvalid(formProblems(parsed.error.issues, t, "scan"));
    setInvalid(null);
    onSubmit(parsed.data);
  };
  // A read fills the form and waits for the place's name: binding at once would list the camera by its serial.
  const scanned = (text: string) => {
    const box = parseBoxQr(text);
    if (!box) return setInvalid(t("scan.notOurs"));
    setSerial(box.serial);
    setClaimCode(box.claimCode);
    setScannedSerial(box.serial);
    setInvalid(null);
    setMode("type");
  };
  useEffect(() => {
    if (mode === "type" && scannedSerial) labelInput.current?.focus();
  }, [mode, scannedSerial]);

  return (
    <div class="stack">
      <ModeTabs mode={mode} onMode={setMode} />
      {mode === "scan" ? (
        <QrScan onText={scanned} />
      ) : (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            submit({ serial, claimCode });
          }}
        >
          {scannedSerial ? (
            <p class="ok" role="status">
              {t("scan.read", { serial: scannedSerial })}
            </p>
          ) : null}
          <BoxCodeFields
            {...{ serial, claimCode, label, labelInput }}
            onSerial={setSerial}
            onClaimCode={setClaimCode}
            onLabel={setLabel}
          />
          {invalid ? (
            <p class="error" role="alert">
              {invalid}
            </p>
          ) : null}
          <SubmitRow busy={busy} submitLabel={submitLabel} onCancel={onCancel} />
        </form>
      )}
      {mode === "scan" && invalid ? (
        <p class="error" role="alert">
          {invalid}
        </p>
      ) : null}
    </div>
  );
}

function SubmitRow({ busy, submitLabel, onCancel }: { busy: boolean; submitLabel: string; onCancel?: () => void }) {
  const { t } = useT();
  return (
    <div class="row">
      <button type="submit" class="primary" disabled={busy}>
        {busy ? t("common.sending") : submitLabel}
      </button>
      {onCancel ? (
        <button type="button" onClick={onCancel} disabled={busy}>
          {t("common.cancel")}
        </button>
      ) : null}
    </div>
  );
}

function BoxCodeFields({
  serial,
  claimCode,
  label,
  labelInput,
  onSerial,
  onClaimCode,
  onLabel,
}: {
  serial: string;
  claimCode: string;
  label: string;
  labelInput: Ref<HTMLInputElement>;
  onSerial: (value: string) => void;
  onClaimCode: (value: string) => void;
  onLabel: (value: string) => void;
}) {
  const { t } = useT();
  return (
    <>
      <label>
        {t("scan.serial")}
        <input
          name="serial"
          class="code"
          autocapitalize="characters"
          placeholder="WX-2026-A1B2C3"
          value={serial}
          onInput={(e) => onSerial(e.currentTarget.value)}
          required
        />
      </label>
      <label>
        {t("scan.claimCode")}
        <input
          name="claimCode"
          class="code"
          autocapitalize="characters"
          placeholder="K7P2-9QXM"
          value={claimCode}
          onInput={(e) => onClaimCode(e.currentTarget.value)}
          required
        />
      </label>
      <label>
        {t("scan.label")}
        <input
          ref={labelInput}
          name="label"
          maxLength={40}
          placeholder={t("scan.labelHint")}
          value={label}
          onInput={(e) => onLabel(e.currentTarget.value)}
        />
      </label>
    </>
  );
}

function ModeTabs({ mode, onMode }: { mode: "type" | "scan"; onMode: (mode: "type" | "scan") => void }) {
  const { t } = useT();
  return (
    <div class="tabs" role="tablist">
      <button type="button" role="tab" aria-selected={mode === "scan"} onClick={() => onMode("scan")}>
        {t("scan.scan")}
      </button>
      <button type="button" role="tab" aria-selected={mode === "type"} onClick={() => onMode("type")}>
        {t("scan.type")}
      </button>
    </div>
  );
}
