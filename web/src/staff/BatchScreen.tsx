// Staff register a delivery of camera boxes (a CSV of serials, or a count to generate) and print the labels.
// Uploading again is safe: the server answers a repeat with the stored result, so the request is retried.
import { useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { dateTime } from "../format.ts";
import { useAction, useLoad } from "../hooks.ts";
import type { BatchUploadReply, BatchView } from "../types.ts";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import { download } from "./csv.ts";

type Source = "csv" | "count";

export function BatchScreen() {
  const { t } = useT();
  const { api } = useServices();
  const batches = useLoad((signal) => api.get<BatchView[]>("/device-batches", { signal }), []);
  const [result, setResult] = useState<BatchUploadReply | null>(null);
  const upload = useAction(async (body: unknown) => {
    setResult(null);
    setResult(await api.request<BatchUploadReply>("POST", "/device-batches", { body, retry: true }));
    batches.reload();
  });
  return (
    <Layout title={t("batch.title")} back="/staff">
      <div class="stack">
        <UploadForm busy={upload.busy} onSubmit={(body) => void upload.run(body)} />
        <ErrorText error={upload.error} />
        {result ? <UploadResult result={result} /> : null}
        <section class="stack" aria-labelledby="batches-title">
          <h2 id="batches-title">{t("batch.recent")}</h2>
          {batches.data ? <BatchList batches={batches.data} /> : <Loading />}
        </section>
      </div>
    </Layout>
  );
}

function UploadForm({ busy, onSubmit }: { busy: boolean; onSubmit: (body: unknown) => void }) {
  const { t } = useT();
  const [reference, setReference] = useState("");
  const [source, setSource] = useState<Source>("csv");
  const [file, setFile] = useState<File | null>(null);
  const [count, setCount] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    if (source === "count") onSubmit({ reference, count: Number(count) });
    else if (file) onSubmit({ reference, csv: await file.text() });
  };
  return (
    <form class="card stack" onSubmit={(e) => void submit(e)}>
      <label>
        {t("batch.reference")}
        <input
          required
          maxLength={80}
          value={reference}
          placeholder={t("batch.referenceExample")}
          onInput={(e) => setReference(e.currentTarget.value)}
        />
      </label>
      <fieldset class="stack choice">
        <legend>{t("batch.source")}</legend>
        <label class="row">
          <input type="radio" name="source" checked={source === "csv"} onChange={() => setSource("csv")} />
          {t("batch.fromCsv")}
        </label>
        <label class="row">
          <input type="radio" name="source" checked={source === "count"} onChange={() => setSource("count")} />
          {t("batch.fromCount")}
        </label>
      </fieldset>
      {source === "csv" ? (
        <label>
          {t("batch.csvFile")}
          <input
            type="file"
            required
            accept=".csv,.txt,text/csv,text/plain"
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          />
        </label>
      ) : (
        <label>
          {t("batch.count")}
          <input
            type="number"
            required
            min={1}
            inputMode="numeric"
            value={count}
            onInput={(e) => setCount(e.currentTarget.value)}
          />
        </label>
      )}
      <p class="muted">{t("batch.csvHelp")}</p>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? t("batch.working") : t("batch.submit")}
      </button>
    </form>
  );
}

/** Downloads a label sheet as "标签-<batch>-<date>.pdf": a name staff find again in their downloads. */
function LabelsButton({ url, label, reference, at }: { url: string; label: string; reference: string; at: string }) {
  const { t } = useT();
  const { api } = useServices();
  const name = t("batch.labelsFile", { reference: reference.replace(/[\\/:*?"<>|]+/g, "-"), date: at.slice(0, 10) });
  const get = useAction(async () => download(name, await api.getBlob(url.replace(/^\/api\/v1/, ""))));
  return (
    <>
      <button type="button" class="primary" disabled={get.busy} onClick={() => void get.run()}>
        {label}
      </button>
      <ErrorText error={get.error} />
    </>
  );
}

function UploadResult({ result }: { result: BatchUploadReply }) {
  const { t } = useT();
  const problems = result.rows.filter((r) => r.outcome === "rejected");
  return (
    <section class="card stack" aria-live="polite" data-testid="batch-result">
      <h2>{result.reference}</h2>
      {result.repeated ? <p class="hint">{t("batch.repeated")}</p> : null}
      <p>
        <strong>{t("batch.counts", result.counts)}</strong>
      </p>
      {result.labelsUrl ? (
        <LabelsButton
          url={result.labelsUrl}
          label={t("batch.printLabels", { count: result.counts.registered })}
          reference={result.reference}
          at={new Date().toISOString()}
        />
      ) : (
        <p class="muted">{t("batch.noLabels")}</p>
      )}
      {problems.length ? (
        <>
          <h3>{t("batch.problems")}</h3>
          <ul class="list problems">
            {problems.map((r) => (
              <li key={r.line}>
                <strong>{t("batch.line", { line: r.line })}</strong> {r.serial || "—"}:{" "}
                <span class="bad">{t(`batch.error.${r.error}`)}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function BatchList({ batches }: { batches: BatchView[] }) {
  const { t, lang } = useT();
  if (batches.length === 0) return <p class="muted">{t("batch.none")}</p>;
  return (
    <ul class="list">
      {batches.map((b) => (
        <li key={b.id} class="card stack">
          <div class="row spread">
            <strong>{b.reference}</strong>
            <span class="muted">{t("batch.cameras", { count: b.deviceCount })}</span>
          </div>
          {b.uploads
            .filter((u) => u.labelsUrl)
            .map((u) => (
              <div key={u.id} class="row spread wrap">
                <span class="muted">
                  {dateTime(u.createdAt, lang)} · {t("batch.registeredN", { count: u.registered })}
                </span>
                <LabelsButton url={u.labelsUrl!} label={t("batch.reprint")} reference={b.reference} at={u.createdAt} />
              </div>
            ))}
        </li>
      ))}
    </ul>
  );
}
