// What a process does on SIGTERM/SIGINT: stop cleanly and exit 0, or give up at a deadline (an orchestrator
// sends SIGKILL after ~10 s anyway; better to exit on our own terms and say what hung). A second signal means
// the operator does not want to wait: exit at once, with the shell's 128 + signal number.
import { constants } from "node:os";

export interface ShutdownLog {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface GracefulShutdownOptions {
  /** Stops everything the process started; resolves when that is done. */
  stop(): Promise<void>;
  log: ShutdownLog;
  /** Exit 1 if stop() has not finished by then. Default 9 s: inside the usual 10 s grace period. */
  deadlineMs?: number;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

export interface GracefulShutdown {
  /** Starts the shutdown as a signal would (e.g. after a fatal start-up error); idempotent. */
  shutdown(reason: string): Promise<void>;
  readonly stopping: boolean;
}

export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

export function handleShutdownSignals(options: GracefulShutdownOptions): GracefulShutdown {
  const { log, deadlineMs = 9_000, signals = ["SIGTERM", "SIGINT"] } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping: Promise<void> | null = null;

  function shutdown(reason: string): Promise<void> {
    stopping ??= stopWithin(reason);
    return stopping;
  }

  async function stopWithin(reason: string): Promise<void> {
    log.info({ reason, deadlineMs }, "shutting down");
    const deadline = setTimeout(() => {
      log.error({ deadlineMs }, "shutdown did not finish in time; exiting anyway");
      exit(1);
    }, deadlineMs);
    try {
      await options.stop();
      log.info({}, "stopped cleanly");
      exit(0);
    } catch (error) {
      log.error({ err: (error as Error).message }, "shutdown failed");
      exit(1);
    } finally {
      clearTimeout(deadline);
    }
  }

  for (const signal of signals) {
    process.on(signal, () => {
      if (!stopping) return void shutdown(signal);
      log.warn({ signal }, "second signal: exiting now");
      exit(exitCodeForSignal(signal));
    });
  }
  return {
    shutdown,
    get stopping() {
      return stopping !== null;
    },
  };
}
