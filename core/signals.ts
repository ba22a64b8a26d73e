// How a process ends on SIGTERM/SIGINT: stop gracefully, exit 0 when that worked, 1 when it failed or took
// too long (exit anyway by the deadline: orchestrators send SIGKILL after ~10 s), and at once on a second signal.

export interface ShutdownOptions {
  stop(): Promise<void>;
  /** Exit no later than this after the first signal, stopped or not. */
  deadlineMs: number;
  log: { info(o: object, msg: string): void; error(o: object, msg: string): void };
  exit?: (code: number) => void;
}

export function exitGracefullyOnSignals({ stop, deadlineMs, log, exit = (code) => process.exit(code) }: ShutdownOptions): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.error({ signal }, "second signal: exiting now without finishing the stop");
      exit(1);
      return;
    }
    stopping = true;
    log.info({ signal }, "stopping");
    const began = Date.now();
    const forced = setTimeout(() => {
      log.error({ deadlineMs }, "stop did not finish in time: exiting anyway");
      exit(1);
    }, deadlineMs);
    forced.unref();
    stop().then(() => {
      log.info({ ms: Date.now() - began }, "stopped");
      exit(0);
    }, (error: unknown) => {
      log.error({ err: error instanceof Error ? error.message : String(error) }, "stop failed");
      exit(1);
    });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
