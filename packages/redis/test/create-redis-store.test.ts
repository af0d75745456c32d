import { hasRedisServer, startRedisServer, type TestRedis } from '@org/mcp-auth-conformance/redis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore, RedisStoreError } from '../src/index.js';

describe('createRedisStore options (TypeError naming the option)', () => {
  it.each<[string, unknown, RegExp]>([
    ['nothing', {}, /"url" or "client" must be given/],
    ['both', { url: 'redis://127.0.0.1:1', client: { sendCommand: async () => 1 } }, /"url"/],
    ['not a redis URL', { url: 'http://127.0.0.1:6379' }, /"url" must be a redis:\/\//],
    ['a client without sendCommand', { client: {} }, /"client" must be a node-redis client/],
    ['a bad timeout', { url: 'redis://127.0.0.1:1', commandTimeoutMs: 0 }, /"commandTimeoutMs"/],
    ['a bad prefix', { url: 'redis://127.0.0.1:1', keyPrefix: 3 }, /"keyPrefix"/],
    ['a bad logger', { url: 'redis://127.0.0.1:1', logger: {} }, /"logger"/],
  ])('%s', (_name, options, message) => {
    expect(() => createRedisStore(options as never)).toThrow(TypeError);
    expect(() => createRedisStore(options as never)).toThrow(message);
  });
});

describe.skipIf(!hasRedisServer && process.env.CI === undefined)(
  'createRedisStore against a real redis-server',
  () => {
    let redis: TestRedis;
    let store: RedisStore;
    let raw: ReturnType<typeof createClient>;
    const stores: RedisStore[] = [];
    const open = (options: Parameters<typeof createRedisStore>[0] = {}) => {
      const s = createRedisStore({ url: redis.url, ...options });
      stores.push(s);
      return s;
    };

    beforeAll(async () => {
      redis = await startRedisServer();
      store = open();
      raw = createClient({ url: redis.url });
      raw.on('error', () => undefined);
      await raw.connect();
    });
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
      if (raw.isOpen) await raw.close();
      await redis.stop();
    });

    it('set-if-absent is atomic across clients: 200 concurrent attempts, one winner', async () => {
      const others = [open(), open(), open()];
      const attempts = Array.from({ length: 200 }, (_, i) =>
        (others[i % others.length] as RedisStore).setIfAbsent('race', 60_000, `v${i}`),
      );
      const results = await Promise.all(attempts);
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.get('race')).toBe(`v${winner}`);
    });

    it('keys carry the prefix and Redis keeps the TTL (SET NX PX, no sweeper)', async () => {
      expect(await store.setIfAbsent('jti:abc', 60_000)).toBe(true);
      expect(await raw.get('mcp-auth:jti:abc')).toBe('1');
      const pttl = await raw.pTTL('mcp-auth:jti:abc');
      expect(pttl).toBeGreaterThan(55_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
      expect(await store.setIfAbsent('jti:abc', 60_000)).toBe(false);
    });

    it('an entry expires after its TTL; touch extends a live one and never creates one', async () => {
      expect(await store.setIfAbsent('short', 150, 'v')).toBe(true);
      expect(await store.get('short')).toBe('v');
      await new Promise((r) => setTimeout(r, 100));
      expect(await store.touch('short', 300)).toBe(true);
      await new Promise((r) => setTimeout(r, 150));
      expect(await store.get('short')).toBe('v'); // 250 ms after creation: alive thanks to touch
      await new Promise((r) => setTimeout(r, 300));
      expect(await store.get('short')).toBeUndefined();
      expect(await store.touch('short', 1000)).toBe(false);
      expect(await raw.exists('mcp-auth:short')).toBe(0);
      expect(await store.setIfAbsent('short', 1000, 'w')).toBe(true);
    });

    it('prefixes keep two servers apart in one Redis', async () => {
      const todo = open({ keyPrefix: 'todo:' });
      const calendar = open({ keyPrefix: 'calendar:' });
      expect(await todo.setIfAbsent('session:1', 60_000, 'alice')).toBe(true);
      expect(await calendar.setIfAbsent('session:1', 60_000, 'bob')).toBe(true);
      expect(await todo.get('session:1')).toBe('alice');
      expect(await calendar.get('session:1')).toBe('bob');
      await todo.delete('session:1');
      expect(await todo.get('session:1')).toBeUndefined();
      expect(await calendar.get('session:1')).toBe('bob');
    });

    it('works with a client you created (and leaves it open on close)', async () => {
      const mine = createClient({ url: redis.url, disableOfflineQueue: true });
      mine.on('error', () => undefined);
      await mine.connect();
      const s = createRedisStore({ client: mine, keyPrefix: 'mine:' });
      expect(await s.setIfAbsent('k', 60_000, 'v')).toBe(true);
      expect(await raw.get('mine:k')).toBe('v');
      await s.close();
      expect(mine.isOpen).toBe(true);
      await mine.close();
    });

    it('a Redis that does not answer: rejects within commandTimeoutMs, then recovers', async () => {
      const quick = open({ commandTimeoutMs: 300 });
      await quick.connect();
      const warnings: string[] = [];
      const logged = open({ commandTimeoutMs: 300, logger: { warn: (m) => warnings.push(m) } });
      await logged.connect();
      redis.pause();
      try {
        const started = Date.now();
        const error = await quick.get('anything').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RedisStoreError);
        expect((error as Error).message).toBe('redis GET did not answer within 300 ms');
        expect(Date.now() - started).toBeLessThan(1500);
        await expect(logged.setIfAbsent('x', 1000)).rejects.toThrow(/did not answer within 300 ms/);
        expect(warnings.join('\n')).toContain('did not answer');
      } finally {
        redis.resume();
      }
      expect(await quick.setIfAbsent('after-pause', 1000)).toBe(true);
    });

    it('a Redis that is gone: every command rejects quickly with RedisStoreError', async () => {
      const other = await startRedisServer();
      const s = createRedisStore({ url: other.url, commandTimeoutMs: 500, connectTimeoutMs: 500 });
      stores.push(s);
      expect(await s.setIfAbsent('k', 1000)).toBe(true);
      await other.stop();
      const started = Date.now();
      for (const call of [
        () => s.get('k'),
        () => s.setIfAbsent('j', 1000),
        () => s.touch('k', 1),
      ]) {
        await expect(call()).rejects.toBeInstanceOf(RedisStoreError);
      }
      expect(Date.now() - started).toBeLessThan(2000);
      // Never reachable: a store that could not connect at all rejects too.
      const never = createRedisStore({
        url: other.url,
        commandTimeoutMs: 300,
        connectTimeoutMs: 200,
      });
      stores.push(never);
      await expect(never.get('k')).rejects.toBeInstanceOf(RedisStoreError);
      await expect(never.connect()).rejects.toBeInstanceOf(RedisStoreError);
    });
  },
);
