// The camera's flash: one JSON file per serial in the state directory. It holds the factory identity
// (serial, claim code) and, once claimed, the MQTT credentials the gateway issued. The password is a
// secret, so the file is 0600 and the directory 0700; writes are atomic (temp file + fsync + rename) so a
// power cut mid-write leaves either the old file or the new one, never half of each.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { isoTime } from "../../protocol/device-messages.ts";
import { claimReply } from "../../protocol/http.ts";

export const cameraStateFile = z.object({
  serial: z.string(),
  claimCode: z.string(),
  firmware: z.string().min(1).max(40),
  privacy: z.boolean().default(false),
  credentials: claimReply.nullable(),
  claimedAt: isoTime.nullable(),
});
export type CameraStateFile = z.infer<typeof cameraStateFile>;

export interface CredentialsStore {
  readonly dir: string;
  /** null when the serial has no state file yet. Throws when the file exists but cannot be read as state. */
  load(serial: string): Promise<CameraStateFile | null>;
  save(state: CameraStateFile): Promise<void>;
  remove(serial: string): Promise<void>;
  /** Every readable state file; the names of unreadable ones are reported, not thrown. */
  list(): Promise<{ states: CameraStateFile[]; unreadable: string[] }>;
}

const stateFileSuffix = ".json";

export function createCredentialsStore(stateDir: string): CredentialsStore {
  const fileOf = (serial: string) => {
    // Serials are validated against the protocol regex before they get here; refuse anything path-like anyway.
    if (!/^[0-9A-Z-]+$/.test(serial)) throw new Error(`not a serial: ${JSON.stringify(serial)}`);
    return join(stateDir, serial + stateFileSuffix);
  };

  async function readState(file: string): Promise<CameraStateFile | null> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    const parsed = cameraStateFile.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`state file ${file} is not valid: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  return {
    dir: stateDir,
    load: (serial) => readState(fileOf(serial)),

    async save(state) {
      const file = fileOf(state.serial);
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      const handle = await open(temp, "wx", 0o600);
      try {
        await handle.writeFile(JSON.stringify(cameraStateFile.parse(state), null, 2) + "\n");
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },

    async remove(serial) {
      await rm(fileOf(serial), { force: true });
    },

    async list() {
      let names: string[];
      try {
        names = await readdir(stateDir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return { states: [], unreadable: [] };
        throw error;
      }
      const states: CameraStateFile[] = [];
      const unreadable: string[] = [];
      for (const name of names.filter((n) => n.endsWith(stateFileSuffix)).sort()) {
        try {
          const state = await readState(join(stateDir, name));
          if (state) states.push(state);
        } catch {
          unreadable.push(name);
        }
      }
      return { states, unreadable };
    },
  };
}
