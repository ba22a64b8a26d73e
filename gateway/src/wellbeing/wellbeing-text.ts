// What people read, in plain Chinese, as a neighbour would say it: what was (not) seen, since when, what to do.
import type { WellbeingCheckKind } from "../../../protocol/wellbeing.ts";
import { clockText } from "./local-time.ts";

const ANSWER_HINT = "问过后请在望乡里点「我看过了，一切都好」或「联系不上」。";

export interface CheckFacts {
  kind: WellbeingCheckKind;
  elderName: string;
  dueMin: number;
  lastActiveMin: number | null;
  usualStartMin: number;
  quietHours: number;
}

export function checkText(f: CheckFacts): { title: string; body: string } {
  if (f.kind === "day-not-started")
    return {
      title: `${f.elderName}家今天还没有看到活动`,
      body: `平时 ${clockText(f.usualStartMin)} 左右就有动静，到 ${clockText(f.dueMin)} 还没有看到。请打个电话问问。${ANSWER_HINT}`,
    };
  const last = f.lastActiveMin === null ? "" : `最后一次看到活动是 ${clockText(f.lastActiveMin)}。`;
  return {
    title: `${f.elderName}家已经 ${hoursText(f.quietHours)} 小时没有看到活动`,
    body: `${last}老人可能出门了，也可能需要帮助。请打个电话问问。${ANSWER_HINT}`,
  };
}

const hoursText = (hours: number) => (Number.isInteger(hours) ? String(hours) : hours.toFixed(1));

export function escalationText(o: {
  village: string;
  elderName: string;
  contactPhone: string;
  reason: "no-answer" | "cannot-reach";
  byName: string | null;
  waitedMin: number;
}): { title: string; body: string } {
  const why =
    o.reason === "cannot-reach" ? `家人${o.byName ?? ""}联系不上老人。` : `家人 ${o.waitedMin} 分钟内没有回复。`;
  return {
    title: `请去看看${o.village}${o.elderName}家`,
    body: `摄像头很久没有看到活动，${why}请上门或打电话看看（电话 ${o.contactPhone}），看过后点「我看过了，一切都好」。`,
  };
}

export function closedText(o: {
  elderName: string;
  reason: "all-well" | "activity-seen";
  byName: string | null;
  atMin: number;
}): { title: string; body: string } {
  if (o.reason === "activity-seen")
    return { title: `${o.elderName}家看到活动了`, body: `${clockText(o.atMin)} 摄像头又看到了活动。` };
  return {
    title: `${o.byName ?? "有人"}确认${o.elderName}一切都好`,
    body: `${clockText(o.atMin)} ${o.byName ?? "有人"}看过了，一切都好。`,
  };
}

const period = (minute: number) => (minute < 12 * 60 ? "上午" : minute < 18 * 60 ? "下午" : "晚上");

/** The strip's one sentence (the open check, when there is one, speaks for itself above it). */
export function todaySentence(o: {
  camera: "reporting" | "offline" | "private" | "none";
  awayUntil: Date | null;
  awayUntilText: string;
  nowMin: number;
  firstActiveMin: number | null;
  lastActiveMin: number | null;
  usualStartMin: number;
}): string {
  if (o.camera === "none") return "家里的摄像头还没有报告过活动情况。";
  if (o.awayUntil) return `已设为外出，${o.awayUntilText}前不提醒。`;
  if (o.camera === "offline") return "摄像头离线，现在看不到活动情况（不是没有活动）。";
  if (o.camera === "private") return "摄像头在隐私模式，家里没有同意在隐私模式下看活动情况。";
  if (o.lastActiveMin === null) {
    if (o.nowMin < o.usualStartMin) return `还早，平时 ${clockText(o.usualStartMin)} 左右开始有活动。`;
    return `今天到 ${Math.floor(o.nowMin / 60)} 点还没有看到活动。`;
  }
  const periods = [...new Set([period(o.firstActiveMin!), period(o.lastActiveMin)])].join("和");
  return `今天${periods}有活动，最近一次在 ${clockText(o.lastActiveMin)}。`;
}
