/**
 * `pnpm bench:store` (about a minute; `--quick` for a few seconds per figure): what a shared
 * state store costs, in process against a real `redis-server` on loopback.
 *
 * - **session check**: `authorize` of a request on a bound session, with a cached token — the
 *   default (bindings in this process), `store: createMemoryStore()` (the shared-store path,
 *   synchronous), and `store: createRedisStore()` (a `GET` and a `PEXPIRE` per request).
 * - **session open**: an `initialize` whose response creates a session, settled with
 *   `onResponse` — memory, or the binding stored in Redis (`SET NX PX`) before the head goes out.
 * - **replay check**: one DPoP `jti` mark, `setIfAbsent(key, ttl)` — the DPoP default
 *   (`createMemoryReplayCache`), `createMemoryStore`, and Redis.
 *
 * Each figure is the median of rounds, at 1 and at 32 callers in flight (Redis pipelines
 * concurrent commands on one connection). Writes results/store.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  createMcpAuth,
  createMemoryReplayCache,
  createMemoryStore,
  type McpAuth,
  type StateStore,
} from '@org/mcp-auth-core';
import { startRedisServer } from '@org/mcp-auth-conformance/redis';
import { createRedisStore } from '@org/mcp-auth-redis';
import { createTestIssuer } from '@org/mcp-auth-testing';
import { median } from './stats.js';

const quick = process.argv.includes('--quick');
const RUN_MS = quick ? 300 : 1500;
const ROUNDS = quick ? 3 : 5;
const CONCURRENCY = [1, 32] as const;
const RESOURCE = 'http://localhost/mcp';

const log = (...args: unknown[]) =>
  console.log(`[bench:store ${new Date().toISOString().slice(11, 19)}]`, ...args);

/** Operations per second of `op`, with `concurrency` callers in flight for `ms`. */
async function throughput(
  op: (i: number) => unknown,
  concurrency: number,
  ms: number,
): Promise<number> {
  let count = 0;
  const end = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const result = op(count++);
      if (result instanceof Promise) await result;
      // A synchronous operation yields now and then, so timers and sockets get their turn.
      else if ((count & 1023) === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / (ms / 1000);
}

/** Runs every variant of one figure round by round (interleaved), and returns the medians. */
async function measure(
  variants: Record<string, (i: number) => unknown>,
  concurrency: number,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const names = Object.keys(variants);
    if (round % 2 === 1) names.reverse();
    for (const name of names) {
      const ops = await throughput(variants[name] as (i: number) => unknown, concurrency, RUN_MS);
      samples[name] = [...(samples[name] ?? []), ops];
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, median(s)]));
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const redis = await startRedisServer();
  const stores: Array<{ close(): Promise<void> }> = [];
  try {
    const issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
    const token = await issuer.mintAccessToken({ claims: { sub: 'alice' } });
    const redisStore = () => {
      const store = createRedisStore({ url: redis.url, keyPrefix: 'bench:' });
      stores.push(store);
      return store;
    };
    const core = (store?: StateStore): McpAuth =>
      createMcpAuth({
        resource: RESOURCE,
        issuer: issuer.issuer,
        jwt: { fetch: issuer.fetch },
        // Room for every session the "open" figure creates.
        sessionBinding: { maxSessions: 10_000_000, maxSessionsPerSubject: 10_000_000 },
        ...(store ? { store } : {}),
      });
    const cores: Record<string, McpAuth> = {
      memory: core(),
      'memory store': core(createMemoryStore({ maxEntries: 10_000_000 })),
      redis: core(redisStore()),
    };
    const headers = (sessionId?: string) => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    });
    const initialize = { jsonrpc: '2.0', id: 0, method: 'initialize', params: {} };
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/list' };

    // One bound session per core (and the token verified once, so it is cached).
    for (const [name, auth] of Object.entries(cores)) {
      const opened = await auth.authorize({
        method: 'POST',
        url: '/mcp',
        headers: headers(),
        body: initialize,
      });
      if (opened.type !== 'allow') throw new Error(`${name}: initialize refused`);
      await auth.onResponse(opened, { status: 200, sessionId: `bench-${name}` });
      const check = await auth.authorize({
        method: 'POST',
        url: '/mcp',
        headers: headers(`bench-${name}`),
        body: call,
      });
      if (check.type !== 'allow') throw new Error(`${name}: session check refused`);
    }

    const check: Record<string, Record<string, number>> = {};
    const open: Record<string, Record<string, number>> = {};
    const replay: Record<string, Record<string, number>> = {};
    const results = { 'session check': check, 'session open': open, 'replay check': replay };
    // Figure by figure, so the sessions and marks one figure piles up (and the collections
    // they cause) do not weigh on the figures measured before it.
    let run = 0;
    for (const concurrency of CONCURRENCY) {
      log(`session check, ${concurrency} in flight`);
      check[concurrency] = await measure(
        Object.fromEntries(
          Object.entries(cores).map(([name, auth]) => {
            const request = {
              method: 'POST',
              url: '/mcp',
              headers: headers(`bench-${name}`),
              body: call,
            };
            return [name, () => auth.authorize(request)];
          }),
        ),
        concurrency,
      );
    }
    for (const concurrency of CONCURRENCY) {
      log(`session open, ${concurrency} in flight`);
      open[concurrency] = await measure(
        Object.fromEntries(
          Object.entries(cores).map(([name, auth]) => {
            const request = { method: 'POST', url: '/mcp', headers: headers(), body: initialize };
            return [
              name,
              async (i: number) => {
                const result = await auth.authorize(request);
                if (result.type !== 'allow') throw new Error(`${name}: initialize refused`);
                await auth.onResponse(result, { status: 200, sessionId: `s-${run}-${i}` });
              },
            ];
          }),
        ),
        concurrency,
      );
      run++;
    }
    for (const concurrency of CONCURRENCY) {
      log(`replay check, ${concurrency} in flight`);
      const caches: Record<string, { setIfAbsent(key: string, ttlMs: number): unknown }> = {
        'memory (DPoP default)': createMemoryReplayCache({ maxEntries: 10_000_000 }),
        'memory store': createMemoryStore({ maxEntries: 10_000_000 }),
        redis: redisStore(),
      };
      replay[concurrency] = await measure(
        Object.fromEntries(
          Object.entries(caches).map(([name, cache]) => [
            name,
            (i: number) => cache.setIfAbsent(`jti-${run}-${i}`, 120_000),
          ]),
        ),
        concurrency,
      );
      run++;
    }
    const rows: string[] = [];
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    for (const [figure, byConcurrency] of Object.entries(results)) {
      for (const [concurrency, ops] of Object.entries(byConcurrency)) {
        const base = Object.values(ops)[0] as number;
        const redisOps = ops.redis as number;
        const line = Object.entries(ops)
          .map(([name, value]) => `${name} ${fmt(value)}/s`)
          .join(', ');
        rows.push(
          `${figure}, ${concurrency} in flight: ${line}; redis / ${Object.keys(ops)[0]} ${(redisOps / base).toFixed(3)}×, redis mean latency ${concurrency === '1' ? `${(1e6 / redisOps).toFixed(0)} µs` : 'n/a'}`,
        );
      }
    }
    for (const row of rows) log(row);
    const loadAfter = loadavg();
    log(
      `machine: ${cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join('/')} → ${loadAfter.map((l) => l.toFixed(2)).join('/')}`,
    );
    const out = fileURLToPath(new URL('../results/', import.meta.url));
    mkdirSync(out, { recursive: true });
    writeFileSync(
      `${out}store.json`,
      `${JSON.stringify({ date: new Date().toISOString(), quick, runMs: RUN_MS, rounds: ROUNDS, loadBefore, loadAfter, results }, null, 2)}\n`,
    );
  } finally {
    await Promise.allSettled(stores.map((store) => store.close()));
    await redis.stop();
  }
}

await main();
