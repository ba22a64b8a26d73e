// What the installer needs with no signal, kept in IndexedDB: the last copy of each API answer they read
// (households, cameras) and the binds waiting to be sent. One object store of key → value.
const dbName = "wangxiang-installer";
const storeName = "kv";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(dbName, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(storeName);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = act(db.transaction(storeName, mode).objectStore(storeName));
      request.onsuccess = () => resolve(request.result as T);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

export const offlineStore = {
  get: <T>(key: string) => run<T | undefined>("readonly", (s) => s.get(key)),
  set: (key: string, value: unknown) => run<void>("readwrite", (s) => s.put(value, key)),
};

/** The queued binds' key (offline.ts keeps the queue there). */
export const bindQueueKey = "bind-queue";

/** Binds still waiting to be sent (refused ones excluded): what signing out would throw away. */
export async function unsentBinds(): Promise<number> {
  const queue = await offlineStore.get<{ conflict?: unknown }[]>(bindQueueKey).catch(() => undefined);
  return (queue ?? []).filter((item) => !item.conflict).length;
}

/**
 * Signing out deletes everything kept for the installer: households, elders' phone numbers, claim codes in
 * the queue. The next person to sign in on this phone must find none of it.
 */
export function clearInstallerData(): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(dbName);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    // Another tab still has it open: the deletion completes when that tab lets go.
    request.onblocked = () => resolve();
  });
}
