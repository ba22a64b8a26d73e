// The demo's way to press a simulated camera's buttons: type a line on the simulator's standard input.
//   call 1      press camera 1's call button (calls the family, or answers a call home that is ringing)
//   privacy 1   press camera 1's privacy button
// Cameras are numbered from 1 in the order the status line counts them.
import { createInterface } from "node:readline";
import type { Camera } from "./camera-types.ts";
import type { Logger } from "../../device-client/src/log.ts";

export const buttonHelp = "type `call N` (call button of camera N) or `privacy N` (privacy button), N from 1";

export async function pressButton(line: string, cameras: readonly Camera[]): Promise<string> {
  const match = /^\s*(call|privacy)\s+(\d+)\s*$/.exec(line);
  if (!match) return buttonHelp;
  const camera = cameras[Number(match[2]) - 1];
  if (!camera) return `no camera ${match[2]}: there are ${cameras.length}`;
  if (match[1] === "privacy") {
    camera.pressPrivacyButton();
    return `${camera.serial}: privacy button pressed`;
  }
  return (await camera.pressCallButton())
    ? `${camera.serial}: call button pressed`
    : `${camera.serial}: offline, the press went nowhere`;
}

/** Reads button presses from stdin while the simulator runs; returns the function that stops reading. */
export function readButtonsFromStdin(
  cameras: () => readonly Camera[],
  log: Logger,
  input: NodeJS.ReadableStream = process.stdin,
): () => void {
  const lines = createInterface({ input });
  lines.on("line", (line) => {
    if (!line.trim()) return;
    pressButton(line, cameras()).then(
      (answer) => log.info(answer),
      (error: Error) => log.warn({ err: error.message }, "button press failed"),
    );
  });
  return () => lines.close();
}
