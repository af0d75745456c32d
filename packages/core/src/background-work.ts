/**
 * Work the core starts during a request and does not await: the refresh of a key set older
 * than its maximum age, which runs while the request is answered with the keys already held,
 * and a retry after a failed load, which its request waits for half a second at most. Some runtimes end a request's pending work once its response is sent:
 * Cloudflare Workers cancels a promise that was not handed to `ctx.waitUntil`, and a refresh
 * cancelled there would never settle, so the key set would wait on it forever. An adapter for
 * such a runtime takes the work after each decision and hands it over ({@link takeBackgroundWork});
 * elsewhere it simply runs to its end.
 *
 * One registry per realm (kept on `globalThis` under a registered symbol, so two loaded copies
 * of the core — ESM and CommonJS — share it).
 */
const REGISTRY = Symbol.for('@org/mcp-auth-core/background-work');

type Registry = Set<Promise<unknown>>;

function registry(): Registry {
  const holder = globalThis as { [REGISTRY]?: Registry };
  holder[REGISTRY] ??= new Set();
  return holder[REGISTRY];
}

/**
 * Records `work` the core started without awaiting it, until it settles or an adapter takes it.
 * `work` must never reject (the key set's `reload()` resolves to `false` on failure).
 */
export function runInBackground(work: Promise<unknown>): void {
  const pending = registry();
  pending.add(work);
  void work.finally(() => pending.delete(work));
}

/**
 * Takes the work the core started and left running since the last call: a promise that settles
 * when all of it has, or `undefined` when there is none. An adapter calls it right after a
 * decision it awaited (a synchronous decision starts no work) and hands the promise to the
 * runtime's `waitUntil` where there is one — on Cloudflare Workers, `c.executionCtx.waitUntil`
 * — so the work outlives the response; elsewhere the result can be ignored. Each piece of work
 * is handed out once, to the next decision that ends: the one that started it, unless another
 * request's decision ended in between.
 *
 * @example
 * ```ts
 * const result = await decide(core, request);
 * const work = takeBackgroundWork();
 * if (work !== undefined) ctx.waitUntil(work);
 * ```
 */
export function takeBackgroundWork(): Promise<void> | undefined {
  const pending = registry();
  if (pending.size === 0) return undefined;
  const work = Promise.allSettled([...pending]).then(() => undefined);
  pending.clear();
  return work;
}
