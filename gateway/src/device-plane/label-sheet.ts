// A printable A4 sheet of box labels: the claim QR (the same text the installer app scans), the serial and
// claim code in large type for when the camera of the phone fails, and two lines of instructions in Chinese.
// Layout: 3 × 7 labels of 63.5 × 38.1 mm, the common self-adhesive sheet (e.g. Avery L7160), so it also
// prints on plain paper to be cut out.
import { existsSync } from "node:fs";
import PDFDocument from "pdfkit";
import QRCode from "qrcode";
import { boxQrText } from "../../../protocol/http.ts";
import { DomainError } from "../../../protocol/errors.ts";

export interface BoxLabel {
  serial: string;
  /** As printed and in the QR: K7P2-9QXM */
  claimCode: string;
}

const mm = 72 / 25.4;
const sheet = {
  columns: 3,
  rows: 7,
  width: 63.5 * mm,
  height: 38.1 * mm,
  left: 7.2 * mm,
  top: 15.1 * mm,
  gapX: 2.5 * mm,
};
const qrSide = 32 * mm;
export const labelsPerPage = sheet.columns * sheet.rows;

/** Where label number `slot` (0-based, on its page) sits, in PDF points from the page's top left. */
export function labelSlot(slot: number): { x: number; y: number; width: number; height: number } {
  const x = sheet.left + (slot % sheet.columns) * (sheet.width + sheet.gapX);
  const y = sheet.top + Math.floor(slot / sheet.columns) * sheet.height;
  return { x, y, width: sheet.width, height: sheet.height };
}

function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number): void {
  // Error correction M: survives a scuffed box corner without making the modules too small to scan.
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const quiet = 2; // modules of white border inside the square (the label's own margin adds more)
  const cell = qrSide / (modules.size + 2 * quiet);
  for (let row = 0; row < modules.size; row++) {
    let runStart = -1;
    for (let col = 0; col <= modules.size; col++) {
      const dark = col < modules.size && modules.get(row, col);
      if (dark && runStart < 0) runStart = col;
      if (!dark && runStart >= 0) {
        doc.rect(x + (quiet + runStart) * cell, y + (quiet + row) * cell, (col - runStart) * cell, cell);
        runStart = -1;
      }
    }
  }
  doc.fill("#000");
}

function drawLabel(doc: PDFKit.PDFDocument, label: BoxLabel, x: number, y: number): void {
  drawQr(doc, boxQrText(label.serial, label.claimCode), x + 1.5 * mm, y + 3 * mm);
  const textX = x + qrSide + 2.5 * mm;
  const textWidth = sheet.width - qrSide - 4 * mm;
  doc
    .font("cjk")
    .fontSize(7)
    .fillColor("#000")
    .text("望乡 家庭摄像头", textX, y + 4 * mm, { width: textWidth });
  doc
    .font("mono")
    .fontSize(8.5)
    .text(label.serial, textX, y + 8.5 * mm, { width: textWidth });
  doc
    .font("cjk")
    .fontSize(7)
    .text("激活码", textX, y + 13 * mm, { width: textWidth });
  doc
    .font("mono")
    .fontSize(12)
    .text(label.claimCode, textX, y + 17.5 * mm, { width: textWidth });
  doc
    .font("cjk")
    .fontSize(6)
    .text("安装员用望乡App扫码绑定到老人家中，再接电源，摄像头自动联网。", textX, y + 24.5 * mm, {
      width: textWidth,
      lineGap: 0.5,
    });
}

/** The PDF as bytes; labels fill the sheets row by row in the order given. */
export async function renderLabelSheet(labels: BoxLabel[], fontFile: string, title: string): Promise<Buffer> {
  if (!existsSync(fontFile))
    throw new DomainError("label-font-missing", {
      message: `the Chinese font for labels is not installed (LABEL_FONT_FILE=${fontFile}); install fonts-wqy-microhei`,
    });
  const doc = new PDFDocument({
    size: "A4",
    margin: 0,
    autoFirstPage: false,
    info: { Title: title, Creator: "Wangxiang" },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  doc.registerFont("cjk", fontFile, "WenQuanYiMicroHei");
  doc.registerFont("mono", "Courier-Bold");
  labels.forEach((label, index) => {
    const slot = index % labelsPerPage;
    if (slot === 0) doc.addPage();
    const { x, y } = labelSlot(slot);
    drawLabel(doc, label, x, y);
  });
  if (labels.length === 0) doc.addPage();
  doc.end();
  return done;
}
