// Where the stills' bytes live. Small on purpose (put, get, delete, list older than) so that an
// S3-compatible store can stand in for the disk: keys are "<deviceId>/<snapshotId>.jpg", like object names.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";

export interface SnapshotStore {
  put(key: string, bytes: Buffer): Promise<void>;
  /** null when there is no such object. */
  get(key: string): Promise<Buffer | null>;
  /** Deleting what is not there is not an error. */
  delete(key: string): Promise<void>;
  /** Keys of objects written before the cutoff (the retention sweep also removes objects with no row). */
  listOlderThan(cutoff: Date): Promise<string[]>;
}

const keyPattern = /^cam_[a-z0-9]{12}\/[a-z0-9_]{1,64}\.jpg$/;

export function snapshotKey(deviceId: string, snapshotId: string): string {
  const key = `${deviceId}/${snapshotId}.jpg`;
  assertKey(key);
  return key;
}

/** Keys become file paths: anything but the one shape (no "..", no absolute paths) is refused. */
function assertKey(key: string): void {
  if (!keyPattern.test(key)) throw new Error(`not a snapshot key: ${JSON.stringify(key)}`);
}

/** One file per still under `directory`, one folder per camera; written to a temporary name, then renamed. */
export function diskSnapshotStore(directory: string): SnapshotStore {
  const pathOf = (key: string) => {
    assertKey(key);
    return join(directory, key);
  };
  return {
    async put(key, bytes) {
      const path = pathOf(key);
      await mkdir(join(path, ".."), { recursive: true });
      const temporary = `${path}.${process.pid}.partial`;
      await writeFile(temporary, bytes);
      await rename(temporary, path);
    },
    async get(key) {
      try {
        return await readFile(pathOf(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async listOlderThan(cutoff) {
      return listFilesOlderThan(directory, cutoff);
    },
  };
}

async function listFilesOlderThan(directory: string, cutoff: Date): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  });
  const old: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const key = `${relative(directory, entry.parentPath)}/${entry.name}`;
    if (!keyPattern.test(key)) continue;
    const { mtime } = await stat(join(entry.parentPath, entry.name));
    if (mtime < cutoff) old.push(key);
  }
  return old;
}
