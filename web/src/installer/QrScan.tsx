// Reads the QR code on a camera's box with the phone's rear camera (the qr-scanner library, loaded only here).
import { useEffect, useRef, useState } from "preact/hooks";
import { useT } from "../context.ts";

// The package's types are CommonJS-shaped under NodeNext while Vite loads its ES module, so the default
// export is typed one level too deep: describe the little we use.
type QrScannerClass = new (
  video: HTMLVideoElement,
  onDecode: (result: { data: string }) => void,
  options: {
    preferredCamera?: "environment" | "user";
    highlightScanRegion?: boolean;
    returnDetailedScanResult: true;
  },
) => { start(): Promise<void>; stop(): void; destroy(): void };
const scannerClass = (mod: { default: unknown }) => mod.default as QrScannerClass;

export function QrScan({ onText }: { onText: (text: string) => void }) {
  const { t } = useT();
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    let scanner: { stop(): void; destroy(): void } | null = null;
    (async () => {
      if (!window.isSecureContext) return setProblem(t("scan.needsHttps"));
      const loaded = await import("qr-scanner").catch(() => null);
      if (!loaded) return setProblem(t("scan.notLoaded"));
      const QrScanner = scannerClass(loaded);
      if (stopped || !video.current) return;
      const instance = new QrScanner(
        video.current,
        (result) => {
          instance.stop();
          onText(result.data);
        },
        { preferredCamera: "environment", highlightScanRegion: true, returnDetailedScanResult: true },
      );
      scanner = instance;
      await instance.start().catch(() => setProblem(t("scan.noCamera")));
      // On a 360×640 phone the preview starts below the tabs: bring it on screen, where the installer aims it.
      video.current?.scrollIntoView({ block: "nearest" });
    })().catch(() => setProblem(t("scan.noCamera")));
    return () => {
      stopped = true;
      scanner?.destroy();
    };
  }, []);
  return (
    <div class="scanner">
      {problem ? (
        <p class="error" role="alert">
          {problem}
        </p>
      ) : (
        <p class="muted">{t("scan.aim")}</p>
      )}
      <video ref={video} playsInline muted hidden={problem !== null} />
    </div>
  );
}
