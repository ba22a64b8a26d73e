import { mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { diskSnapshotStore, snapshotKey, type SnapshotStore } from "./snapshot-store.ts";

describe("diskSnapshotStore", () => {
  let dir: string;
  let store: SnapshotStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wx-store-"));
    store = diskSnapshotStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("puts, gets, lists by age and deletes, one folder per camera, no temporary files left", async () => {
    const key = snapshotKey("cam_abcdefabcdef", "snp_1");
    await store.put(key, Buffer.from("jpeg bytes"));
    expect(await store.get(key)).toEqual(Buffer.from("jpeg bytes"));
    expect(await readdir(join(dir, "cam_abcdefabcdef"))).toEqual(["snp_1.jpg"]);
    expect(await store.listOlderThan(new Date(Date.now() - 60_000))).toEqual([]);
    const monthAgo = new Date(Date.now() - 30 * 86_400_000);
    await utimes(join(dir, key), monthAgo, monthAgo);
    expect(await store.listOlderThan(new Date(Date.now() - 60_000))).toEqual([key]);
    await store.delete(key);
    await store.delete(key); // gone already: not an error
    expect(await store.get(key)).toBeNull();
  });

  it("lists nothing before the first still, and refuses keys that are not a camera's still", async () => {
    expect(await diskSnapshotStore(join(dir, "not-yet")).listOlderThan(new Date())).toEqual([]);
    for (const key of ["../etc/passwd", "/etc/passwd", "cam_abcdefabcdef/../../x.jpg", "cam_abcdefabcdef/snp_1.png"])
      await expect(store.put(key, Buffer.from("x")), key).rejects.toThrow(/not a snapshot key/);
    expect(() => snapshotKey("cam_abcdefabcdef", "../x")).toThrow(/not a snapshot key/);
  });
});
