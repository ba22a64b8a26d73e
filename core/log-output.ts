// Where a process's log lines go: readable lines on a terminal (pino-pretty), JSON lines otherwise, for log
// collectors. LOG_FORMAT=json or pretty overrides the guess.
import { PinoPretty } from "pino-pretty";

export type LogFormat = "auto" | "json" | "pretty";

export interface LogDestination {
  write(line: string): void;
}

export function readLogFormat(env: Record<string, string | undefined> = process.env): LogFormat {
  const value = env.LOG_FORMAT || "auto";
  if (value !== "auto" && value !== "json" && value !== "pretty")
    throw new Error(`LOG_FORMAT must be auto, json or pretty (got "${value}")`);
  return value;
}

/** A pino-pretty stream on a terminal, or undefined: the caller's JSON default (stdout). */
export function terminalLogDestination(
  format: LogFormat = readLogFormat(),
  stdout: { isTTY?: boolean } = process.stdout,
): LogDestination | undefined {
  if (format === "json" || (format === "auto" && !stdout.isTTY)) return undefined;
  // sync: the last lines before process.exit() must not be lost in a buffer.
  return PinoPretty({
    colorize: Boolean(stdout.isTTY),
    sync: true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname",
  });
}
