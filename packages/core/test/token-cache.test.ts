import { describe, expect, it } from 'vitest';
import { createTokenCache, DEFAULT_TOKEN_CACHE_ENTRIES } from '../src/token-cache.js';
import type { AuthInfo } from '../src/types.js';

const info = (exp: number): AuthInfo => ({
  token: 'tok',
  clientId: 'c',
  scopes: ['a'],
  expiresAt: exp,
  resource: new URL('https://mcp.example.com/mcp'),
  extra: { sub: 'u' },
});

describe('createTokenCache', () => {
  it('returns a fresh copy with the token, never storing the raw token', async () => {
    let now = 0;
    const keys: string[] = [];
    const cache = createTokenCache(
      {
        hash: (t) => {
          keys.push(t);
          return `h:${t.length}`;
        },
      },
      () => now,
    );
    await cache.set('tok', info(100), 1);
    const hit = await cache.get('tok', 1);
    expect(hit).toEqual(info(100));
    hit?.scopes.push('mutated');
    hit?.resource?.searchParams.set('x', '1');
    expect((await cache.get('tok', 1))?.scopes).toEqual(['a']);
    expect((await cache.get('tok', 1))?.resource?.href).toBe('https://mcp.example.com/mcp');
    expect(keys.every((k) => k === 'tok')).toBe(true);
    now = 100_000;
    expect(await cache.get('tok', 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('misses on another key-set version, and skips tokens without or past exp', async () => {
    const cache = createTokenCache({}, () => 5_000);
    await cache.set('tok', info(100), 1);
    expect(await cache.get('tok', 2)).toBeUndefined();
    await cache.set('old', info(4), 1);
    await cache.set('none', { token: 'none', clientId: '', scopes: [] }, 1);
    expect(cache.size).toBe(0);
  });

  it('keys by SHA-256 by default and is bounded (LRU)', async () => {
    expect(DEFAULT_TOKEN_CACHE_ENTRIES).toBe(1000);
    const cache = createTokenCache({ maxEntries: 2 }, () => 0);
    await cache.set('a', info(10), 0);
    await cache.set('b', info(10), 0);
    expect(await cache.get('a', 0)).toBeDefined(); // refresh a
    await cache.set('c', { ...info(10), extra: undefined, resource: undefined }, 0);
    expect(cache.size).toBe(2);
    expect(await cache.get('b', 0)).toBeUndefined();
    expect((await cache.get('a', 0))?.token).toBe('a');
    expect(await cache.get('c', 0)).toEqual({
      token: 'c',
      clientId: 'c',
      scopes: ['a'],
      expiresAt: 10,
    });
  });
});
