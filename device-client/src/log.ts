// Structured log lines (pino, JSON). Each camera gets a child logger bound to its serial.
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

export function createLogger(options: { level?: string; name?: string; stream?: DestinationStream } = {}): Logger {
  const settings = { name: options.name ?? "device", level: options.level ?? "info" };
  return options.stream ? pino(settings, options.stream) : pino(settings);
}

/** A logger that drops everything: the default in tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
