// Staff pages (the device list, the fleet summary, the alerts) shared for a moment. A county centre's screens ask
// for the same few pages over and over (the summary, page one, a village, the cameras offline longest); a page of 50
// from 10,000 cameras costs most of a millisecond of the gateway's one event loop and the summary ~10 ms, and a page
// well under a second old is newer than any camera's last heartbeat. A change made through this gateway's API drops
// every shared page, so whoever made it sees it at once; what cameras report (online, offline, health) shows within
// `maxAgeMs`, as do other gateways' changes.
import type { FastifyInstance } from "fastify";

interface SharedPage {
  builtAt: number;
  generation: number;
  page: Promise<unknown>;
}

export class SharedPages {
  readonly #pages = new Map<string, SharedPage>();
  #generation = 0;

  /** `maxAgeMs` 0 shares nothing: every request builds its page. */
  constructor(
    private readonly maxAgeMs: number,
    private readonly maxPages = 500,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The page for `key`: one built within `maxAgeMs` and since the last change, else a new one (built once). A key
   * names one kind of page (its route and query), so the page under it is always what `build` makes.
   */
  get<T>(key: string, build: () => Promise<T>): Promise<T> {
    if (this.maxAgeMs <= 0) return build();
    const now = this.now();
    const shared = this.#pages.get(key);
    if (shared && shared.generation === this.#generation && now - shared.builtAt < this.maxAgeMs)
      return shared.page as Promise<T>;
    const page = build();
    const entry = { builtAt: now, generation: this.#generation, page };
    this.#pages.delete(key); // re-inserted last: the oldest pages are the first the size limit drops
    this.#pages.set(key, entry);
    if (this.#pages.size > this.maxPages) this.#pages.delete(this.#pages.keys().next().value!);
    // A failed build is not shared: the next request tries again.
    page.catch(() => this.#pages.get(key) === entry && this.#pages.delete(key));
    return page;
  }

  /** Something changed: no page built before now is given out again. */
  changed(): void {
    this.#generation++;
    this.#pages.clear();
  }
}

const readMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/** Any request but a read may change what a page shows: shared pages are dropped before its reply goes out. */
export function dropPagesOnChange(app: FastifyInstance, pages: SharedPages): void {
  app.addHook("onSend", (request, _reply, payload, done) => {
    if (!readMethods.has(request.method)) pages.changed();
    done(null, payload);
  });
}
