// Where a new password comes from: never the command line (shell history, `ps`). A terminal is asked twice
// without echo; a pipe gives its first line; --generate makes one and the caller prints it once.
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { randomToken } from "../../core/secrets.ts";
import { AdminError } from "./users.ts";

export function generatePassword(): string {
  return randomToken(15); // 20 characters, 120 bits
}

/** The first line of a piped stdin. */
export async function readPasswordFromPipe(input: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new AdminError("no password on stdin (pipe one line, run in a terminal to be asked, or use --generate)");
}

function askHidden(question: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<string> {
  let muted = false;
  const sink = new Writable({
    write(chunk, _enc, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input, output: sink, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      output.write("\n");
      resolve(answer);
    });
    muted = true;
  });
}

export async function promptNewPassword(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<string> {
  const first = await askHidden("New password: ", input, output);
  const second = await askHidden("Repeat it: ", input, output);
  if (first !== second) throw new AdminError("the two passwords differ");
  return first;
}
