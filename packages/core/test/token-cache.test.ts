import { spyOnSignatureChecks } from './helpers/signature-spy.js';
import {
  alterTokenPayload,
  createTestIssuer,
  generateTestKey,
  type TestIssuer,
} from '@org/mcp-auth-testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { VERIFY_SYNC } from '../src/core-brand.js';
import {
  createJwtVerifier,
  type JwtVerifier,
  type JwtVerifierOptions,
  rememberedRejection,
} from '../src/create-jwt-verifier.js';
import { isMcpAuthError, McpAuthConfigError, McpAuthError } from '../src/errors.js';
import { freezePlainData } from '../src/freeze-plain-data.js';
import { createTokenCache } from '../src/token-cache.js';
import {
  cacheOption,
  DEFAULT_NEGATIVE_TTL_MS,
  DEFAULT_TOKEN_CACHE_BYTES,
  DEFAULT_TOKEN_CACHE_ENTRIES,
  DEFAULT_TOKEN_CACHE_MAX_AGE_MS,
} from '../src/token-cache-options.js';
import { syncTokenHash } from '../src/token-hash.js';
import type { AuthInfo } from '../src/types.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const exp = (secondsFromNow: number) => NOW / 1000 + secondsFromNow;

const info = (expiresAt: number, extra: Record<string, unknown> = { sub: 'u' }): AuthInfo => ({
  token: 'presented-token',
  clientId: 'app',
  scopes: ['todo:read'],
  expiresAt,
  resource: new URL(RESOURCE),
  extra: { ...extra, claims: { sub: extra.sub, scope: 'todo:read' } },
});

const BAD_SIGNATURE = { description: 'invalid signature', reason: 'bad_signature' } as const;

/** The synchronous answer of a verifier (the `VERIFY_SYNC` method `createMcpAuth` calls). */
const verifySync = (v: JwtVerifier, token: string) =>
  (v as JwtVerifier & { [VERIFY_SYNC]: (token: string) => AuthInfo | undefined })[VERIFY_SYNC](
    token,
  );

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('createTokenCache', () => {
  it('documents its defaults', () => {
    expect(DEFAULT_TOKEN_CACHE_ENTRIES).toBe(10_000);
    expect(DEFAULT_TOKEN_CACHE_BYTES).toBe(8 * 1024 * 1024);
    expect(DEFAULT_TOKEN_CACHE_MAX_AGE_MS).toBe(300_000);
    expect(DEFAULT_NEGATIVE_TTL_MS).toBe(5_000);
    expect(cacheOption(undefined)).toEqual({
      maxEntries: 10_000,
      maxBytes: 8 * 1024 * 1024,
      maxAgeMs: 300_000,
      negativeTtlMs: 5_000,
    });
    expect(cacheOption({ maxEntries: 5 }, { maxAgeMs: 60_000 })).toMatchObject({
      maxEntries: 5,
      maxAgeMs: 60_000,
    });
    expect(cacheOption(false)).toBeUndefined();
  });

  it('keys by the SHA-256 digest of the token (tokenHash), never by the token', async () => {
    const cache = createTokenCache();
    const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';
    const key = await cache.key(token);
    const bytes = new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)),
    );
    const binary = String.fromCharCode(...bytes);
    expect(key).toBe(syncTokenHash === undefined ? binary : btoa(binary));
    expect(key.includes(token) || token.includes(key)).toBe(false);
    expect(await cache.key(`${token}x`)).not.toBe(key);
  });

  it('has a synchronous key exactly when the runtime has a synchronous SHA-256', async () => {
    const cache = createTokenCache();
    if (syncTokenHash === undefined) {
      expect(cache.keySync('tok')).toBeUndefined();
    } else {
      expect(cache.keySync('tok')).toBe(syncTokenHash('tok'));
      expect(cache.keySync('tok')).toBe(await cache.key('tok'));
    }
  });

  it('returns a fresh AuthInfo carrying the token presented; nothing leaks between hits', () => {
    const cache = createTokenCache();
    cache.store('k', info(exp(60)), 1);
    const a = cache.lookup('k', 'token-a', 1) as AuthInfo;
    expect(a).toEqual({ ...info(exp(60)), token: 'token-a' });
    a.scopes.push('admin');
    a.resource?.searchParams.set('x', '1');
    (a.extra as Record<string, unknown>).sub = 'mallory';
    const b = cache.lookup('k', 'token-b', 1) as AuthInfo;
    expect(b.token).toBe('token-b');
    expect(b.scopes).toEqual(['todo:read']);
    expect(b.resource?.href).toBe(RESOURCE);
    expect(b.extra?.sub).toBe('u');
    // Claims are shared between hits, so they are frozen.
    expect(Object.isFrozen(b.extra?.claims)).toBe(true);
    expect(() => {
      (b.extra?.claims as Record<string, unknown>).scope = 'admin';
    }).toThrow(TypeError);
  });

  it('copies claims the caller still owns, and shares claims already frozen all the way down', () => {
    const cache = createTokenCache();
    const mutable = info(exp(60));
    cache.store('copied', mutable, 1);
    (mutable.extra?.claims as Record<string, unknown>).scope = 'admin';
    const copied = cache.lookup('copied', 't', 1) as AuthInfo;
    expect(copied.extra?.claims).toEqual({ sub: 'u', scope: 'todo:read' });
    expect(copied.extra?.claims).not.toBe(mutable.extra?.claims);
    expect(Object.isFrozen(mutable.extra?.claims)).toBe(false); // the caller's object is untouched

    const claims = { sub: 'u', aud: ['a', 'b'], nested: { roles: ['x'] } };
    expect(freezePlainData(claims)).toBe(true);
    expect(Object.isFrozen(claims.nested.roles)).toBe(true);
    cache.store('shared', { ...info(exp(60)), extra: { sub: 'u', claims } }, 1);
    const hit = cache.lookup('shared', 't', 1) as AuthInfo;
    expect(hit.extra?.claims).toBe(claims);
    // Frozen on top but not below: copied, and the copy frozen.
    const shallow = Object.freeze({ nested: { roles: ['x'] } });
    cache.store('shallow', { ...info(exp(60)), extra: { claims: shallow } }, 1);
    const copy = (cache.lookup('shallow', 't', 1) as AuthInfo).extra?.claims as typeof shallow;
    expect(copy).not.toBe(shallow);
    expect(copy).toEqual(shallow);
    expect(Object.isFrozen(copy.nested.roles)).toBe(true);
  });

  it('does not cache extra values that are not plain data, cyclic or too large to walk', () => {
    const cache = createTokenCache();
    const store = (key: string, claims: unknown) =>
      cache.store(key, { ...info(exp(60)), extra: { claims } }, 1);
    store('fn', { f: () => 1 });
    store('date', { at: new Date() });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    store('cyclic', Object.freeze(cyclic));
    store('wide', { list: Array.from({ length: 10_000 }, (_, i) => i) });
    expect(cache.size).toBe(0);
    expect(freezePlainData({ f: () => 1 })).toBe(false);
    store('ok', { list: [1, 'two', null, true, { three: 3 }] });
    expect(cache.size).toBe(1);
  });

  it('estimates an entry at no less than 2 bytes per character of its JSON form plus overhead', () => {
    const claims = {
      iss: 'https://auth.example.com',
      sub: 'user-123',
      aud: ['https://mcp.example.com/mcp'],
      exp: exp(60),
      scope: 'todo:read todo:write',
      roles: ['a', 'b', 'c'],
      profile: { name: 'Zoë', n: null, ok: true },
    };
    const authInfo: AuthInfo = {
      ...info(exp(60)),
      extra: { sub: claims.sub, iss: claims.iss, claims },
    };
    const cache = createTokenCache();
    cache.store('k', authInfo, 1);
    const json =
      JSON.stringify(authInfo.extra).length +
      'app'.length +
      RESOURCE.length +
      'todo:read'.length +
      'k'.length;
    expect(cache.bytes).toBeGreaterThanOrEqual(640 + 2 * json);
    expect(cache.bytes).toBeLessThan(640 + 4 * json); // an estimate, not a wild over-count
  });

  it('keeps distinct tokens with the same claims apart', async () => {
    const cache = createTokenCache();
    const [k1, k2] = [await cache.key('token-one'), await cache.key('token-two')];
    cache.store(k1, info(exp(60)), 1);
    cache.store(k2, info(exp(60)), 1);
    expect(cache.size).toBe(2);
    expect((cache.lookup(k1, 'token-one', 1) as AuthInfo).token).toBe('token-one');
    expect((cache.lookup(k2, 'token-two', 1) as AuthInfo).token).toBe('token-two');
    expect(cache.lookup(await cache.key('token-three'), 'token-three', 1)).toBeUndefined();
  });

  it('never uses an entry at or past exp', () => {
    const cache = createTokenCache();
    cache.store('k', info(exp(10)), 1);
    vi.advanceTimersByTime(9_999);
    expect(cache.lookup('k', 't', 1)).toBeDefined();
    vi.advanceTimersByTime(1);
    expect(cache.lookup('k', 't', 1)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    // Already expired, without exp, or with a broken exp: never stored.
    cache.store('old', info(exp(0)), 1);
    cache.store('none', { token: 't', clientId: '', scopes: [] }, 1);
    cache.store('nan', { ...info(exp(10)), expiresAt: Number.NaN }, 1);
    expect(cache.size).toBe(0);
  });

  it('with keepWithoutExpiry, keeps a result without exp for maxAgeMs (and still never past exp)', () => {
    const cache = createTokenCache({ maxAgeMs: 1_000 }, { keepWithoutExpiry: true });
    cache.store('none', { token: 't', clientId: 'c', scopes: [] }, 0);
    cache.store('soon', info(exp(0.5)), 0);
    cache.store('nan', { ...info(exp(10)), expiresAt: Number.NaN }, 0);
    expect(cache.size).toBe(2);
    vi.advanceTimersByTime(500);
    expect(cache.lookup('soon', 't', 0)).toBeUndefined();
    expect(cache.lookup('none', 't', 0)).toMatchObject({ clientId: 'c' });
    vi.advanceTimersByTime(500);
    expect(cache.lookup('none', 't', 0)).toBeUndefined();
  });

  it('never uses an entry past maxAgeMs; 0 keeps no valid result', () => {
    const cache = createTokenCache({ maxAgeMs: 1_000 });
    cache.store('k', info(exp(3_600)), 1);
    vi.advanceTimersByTime(999);
    expect(cache.lookup('k', 't', 1)).toBeDefined();
    vi.advanceTimersByTime(1);
    expect(cache.lookup('k', 't', 1)).toBeUndefined();
    const none = createTokenCache({ maxAgeMs: 0 });
    none.store('k', info(exp(3_600)), 1);
    none.reject('bad', BAD_SIGNATURE, 1);
    expect(none.lookup('k', 't', 1)).toBeUndefined();
    expect(none.lookup('bad', 't', 1)).toBeInstanceOf(McpAuthError);
  });

  it('is bounded by entries, evicting the least recently used', () => {
    const cache = createTokenCache({ maxEntries: 2 });
    cache.store('a', info(exp(60)), 1);
    cache.store('b', info(exp(60)), 1);
    expect(cache.lookup('a', 't', 1)).toBeDefined(); // a is now the most recent
    cache.store('c', info(exp(60)), 1);
    expect(cache.size).toBe(2);
    expect(cache.lookup('b', 't', 1)).toBeUndefined();
    expect(cache.lookup('c', 't', 1)).toBeDefined();
    cache.store('a', info(exp(120)), 1); // replacing keeps one entry
    expect(cache.size).toBe(2);
    expect((cache.lookup('a', 't', 1) as AuthInfo).expiresAt).toBe(exp(120));
  });

  it('is bounded by estimated bytes, evicting the least recently used', () => {
    const probe = createTokenCache();
    probe.store('k0', info(exp(60)), 1);
    const entryBytes = probe.bytes;
    expect(entryBytes).toBeGreaterThan(640);
    const cache = createTokenCache({ maxBytes: entryBytes * 3 + 10 });
    const stored = ['k1', 'k2', 'k3', 'k4', 'k5'];
    for (const k of stored) cache.store(k, info(exp(60)), 1);
    const held = () => stored.filter((k) => cache.lookup(k, 't', 1) !== undefined);
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(entryBytes * 3);
    expect(cache.bytes).toBeLessThanOrEqual(entryBytes * 3 + 10);
    expect(held()).toEqual(['k3', 'k4', 'k5']);
    // An entry larger than the whole bound is not stored (and evicts nothing).
    cache.store('huge', info(exp(60), { sub: 'u', blob: 'x'.repeat(entryBytes * 4) }), 1);
    expect(cache.lookup('huge', 't', 1)).toBeUndefined();
    expect(held()).toEqual(['k3', 'k4', 'k5']);
    expect(cache.bytes).toBe(entryBytes * 3);
  });

  it('empties on a newer key-set version and ignores stale versions', () => {
    const cache = createTokenCache();
    cache.store('a', info(exp(60)), 1);
    cache.reject('bad', BAD_SIGNATURE, 1);
    expect(cache.lookup('a', 't', 2)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    cache.store('b', info(exp(60)), 1); // verified under the old set: not kept
    cache.reject('c', BAD_SIGNATURE, 1);
    expect(cache.size).toBe(0);
    cache.store('b', info(exp(60)), 2);
    expect(cache.lookup('b', 't', 1)).toBeUndefined();
    expect(cache.lookup('b', 't', 2)).toBeDefined();
  });

  it('remembers a rejection, description and reason, for negativeTtlMs only', () => {
    const cache = createTokenCache();
    cache.reject('bad', { description: 'token is not active', reason: 'inactive' }, 1);
    const hit = cache.lookup('bad', 't', 1);
    expect(hit).toBeInstanceOf(McpAuthError);
    expect(hit).toMatchObject({
      code: 'invalid_token',
      status: 401,
      message: 'token is not active',
      reason: 'inactive',
    });
    expect(cache.lookup('bad', 't', 1)).not.toBe(hit); // a new error each time
    vi.advanceTimersByTime(DEFAULT_NEGATIVE_TTL_MS - 1);
    expect(cache.lookup('bad', 't', 1)).toBeInstanceOf(McpAuthError);
    vi.advanceTimersByTime(1);
    expect(cache.lookup('bad', 't', 1)).toBeUndefined();
    const off = createTokenCache({ negativeTtlMs: 0 });
    off.reject('bad', BAD_SIGNATURE, 1);
    expect(off.size).toBe(0);
  });

  it.each([
    [{ maxEntries: 0 }, 'cache.maxEntries', /must be a number from 1/],
    [{ maxEntries: Number.NaN }, 'cache.maxEntries', /must be a number/],
    [{ maxBytes: 10 }, 'cache.maxBytes', /from 1024/],
    [{ maxAgeMs: -1 }, 'cache.maxAgeMs', /from 0/],
    [{ negativeTtlMs: 60_001 }, 'cache.negativeTtlMs', /from 0 to 60000/],
    [{ negativeTtlMs: -1 }, 'cache.negativeTtlMs', /from 0 to 60000/],
    [{ hash: () => 'x' }, 'cache.hash', /removed: the cache keys tokens by their SHA-256 digest/],
    [{ maxAge: 1_000 }, 'cache.maxAge', /did you mean "maxAgeMs"/],
  ])('rejects %o naming %s', (options, option, rule) => {
    expect(() => createTokenCache(options as never)).toThrow(McpAuthConfigError);
    expect(() => createTokenCache(options as never)).toThrow(`"${option}"`);
    expect(() => createTokenCache(options as never)).toThrow(rule);
  });

  it('rejects a cache option that is not an object', () => {
    expect(() => createTokenCache(true as never)).toThrow(/cache/);
    expect(() =>
      createJwtVerifier({ issuer: 'https://a.example', resource: RESOURCE, cache: true as never }),
    ).toThrow(TypeError);
    expect(() =>
      createJwtVerifier({
        issuer: 'https://a.example',
        resource: RESOURCE,
        cache: { maxEntries: 0 },
      }),
    ).toThrow('"cache.maxEntries"');
  });
});

describe('the JWT verifier cache', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
      algorithms: ['ES256'],
      scope: 'todo:read',
    });
  });

  const verifier = (options: Partial<JwtVerifierOptions> = {}) =>
    createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      fetch: issuer.fetch,
      ...options,
    });

  const signatureChecks = () => spyOnSignatureChecks();

  async function rejectionOf(promise: Promise<unknown>) {
    const error = await promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e,
    );
    expect(isMcpAuthError(error)).toBe(true);
    return error as Error & { code: string; status: number };
  }

  it('skips the signature check for a repeated token and returns the token presented', async () => {
    const v = verifier();
    const token = await issuer.mintAccessToken({ claims: { sub: 'alice' } });
    const spy = signatureChecks();
    const first = await v.verifyAccessToken(token);
    const checks = spy.mock.calls.length;
    expect(checks).toBeGreaterThan(0);
    const second = await v.verifyAccessToken(token);
    expect(spy.mock.calls.length).toBe(checks);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    expect(second.token).toBe(token);
  });

  it('freezes the claims it verified once, and every hit shares them read-only', async () => {
    const v = verifier();
    const token = await issuer.mintAccessToken({ claims: { sub: 'carol', roles: ['r'] } });
    const first = await v.verifyAccessToken(token);
    const claims = first.extra?.claims as { roles: string[] };
    expect(Object.isFrozen(claims)).toBe(true);
    expect(Object.isFrozen(claims.roles)).toBe(true);
    const second = await v.verifyAccessToken(token);
    expect(second.extra?.claims).toBe(claims);
    expect(second.extra).not.toBe(first.extra);
  });

  it('verifies distinct tokens with identical claims separately', async () => {
    const v = verifier();
    const claims = { sub: 'bob', jti: 'same', iat: NOW / 1000 };
    const a = await issuer.mintAccessToken({ claims });
    const b = await issuer.mintAccessToken({ claims, header: { extra: 'x' } });
    expect(a).not.toBe(b);
    await v.verifyAccessToken(a);
    const spy = signatureChecks();
    expect((await v.verifyAccessToken(b)).token).toBe(b);
    expect(spy).toHaveBeenCalled();
    expect((await v.verifyAccessToken(a)).token).toBe(a);
    expect((await v.verifyAccessToken(b)).token).toBe(b);
  });

  it('re-verifies at exp exactly and then reports the expiry', async () => {
    const v = verifier({ clockToleranceMs: 0 });
    const token = await issuer.mintAccessToken({ expiresIn: 60 });
    await v.verifyAccessToken(token);
    vi.advanceTimersByTime(59_999);
    const spy = signatureChecks();
    await expect(v.verifyAccessToken(token)).resolves.toMatchObject({ token });
    expect(spy).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    const error = await rejectionOf(v.verifyAccessToken(token));
    expect(error.message).toBe('token expired');
  });

  it('re-verifies after maxAgeMs', async () => {
    const v = verifier({ cache: { maxAgeMs: 1_000 } });
    const token = await issuer.mintAccessToken();
    await v.verifyAccessToken(token);
    const spy = signatureChecks();
    vi.advanceTimersByTime(1_000);
    await v.verifyAccessToken(token);
    expect(spy).toHaveBeenCalled();
  });

  it('drops every cached verification when the key set changes', async () => {
    const local = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
      algorithms: ['ES256'],
    });
    const v = createJwtVerifier({ issuer: local.issuer, resource: RESOURCE, fetch: local.fetch });
    const old = await local.mintAccessToken();
    await v.verifyAccessToken(old);
    await v.verifyAccessToken(old); // cached
    await local.rotateKeys({ keepOld: false });
    vi.advanceTimersByTime(30_001);
    await v.verifyAccessToken(await local.mintAccessToken()); // unknown kid → refetch
    expect(local.jwksFetchCount).toBe(2);
    const spy = signatureChecks();
    const error = await rejectionOf(v.verifyAccessToken(old));
    expect(error.message).toBe('no signing key matches the token (unknown kid)');
    expect(spy).not.toHaveBeenCalled(); // the old key is gone, and so is the cached answer
  });

  it('refuses a bad signature from the negative cache for 5 s, then checks again', async () => {
    const v = verifier();
    await v.verifyAccessToken(await issuer.mintAccessToken()); // warm the key set
    const forged = alterTokenPayload(await issuer.mintAccessToken(), { scope: 'admin' });
    expect((await rejectionOf(v.verifyAccessToken(forged))).message).toBe('invalid signature');
    const spy = signatureChecks();
    const again = await rejectionOf(v.verifyAccessToken(forged));
    expect(again.message).toBe('invalid signature');
    expect(again.status).toBe(401);
    expect(spy).not.toHaveBeenCalled();
    vi.advanceTimersByTime(5_000);
    await rejectionOf(v.verifyAccessToken(forged));
    expect(spy).toHaveBeenCalled();
  });

  it('clears the negative cache when the key set changes', async () => {
    const local = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
      algorithms: ['ES256'],
    });
    const v = createJwtVerifier({ issuer: local.issuer, resource: RESOURCE, fetch: local.fetch });
    const good = await local.mintAccessToken();
    await v.verifyAccessToken(good);
    const forged = alterTokenPayload(await local.mintAccessToken(), { sub: 'x' });
    await rejectionOf(v.verifyAccessToken(forged));
    await local.rotateKeys();
    vi.advanceTimersByTime(30_001);
    await v.verifyAccessToken(await local.mintAccessToken()); // new kid → version 2
    const spy = signatureChecks();
    await rejectionOf(v.verifyAccessToken(forged));
    expect(spy).toHaveBeenCalled();
  });

  it('never caches a 503: the token verifies once the key set is back', async () => {
    const local = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
      algorithms: ['ES256'],
    });
    const v = createJwtVerifier({ issuer: local.issuer, resource: RESOURCE, fetch: local.fetch });
    const token = await local.mintAccessToken();
    local.setOutage(true);
    expect((await rejectionOf(v.verifyAccessToken(token))).status).toBe(503);
    local.setOutage(false);
    vi.advanceTimersByTime(30_000);
    await expect(v.verifyAccessToken(token)).resolves.toMatchObject({ token });
  });

  it('does not cache other failures (claims checks run again)', async () => {
    const v = verifier();
    await v.verifyAccessToken(await issuer.mintAccessToken());
    const wrongAud = await issuer.mintAccessToken({ claims: { aud: 'https://other.example' } });
    await rejectionOf(v.verifyAccessToken(wrongAud));
    const spy = signatureChecks();
    expect((await rejectionOf(v.verifyAccessToken(wrongAud))).message).toBe('audience mismatch');
    expect(spy).toHaveBeenCalled();
  });

  it('can be turned off', async () => {
    const v = verifier({ cache: false });
    const token = await issuer.mintAccessToken();
    await v.verifyAccessToken(token);
    const spy = signatureChecks();
    await v.verifyAccessToken(token);
    expect(spy).toHaveBeenCalled();
  });

  it.runIf(syncTokenHash !== undefined)(
    'answers a repeated token without a promise (VERIFY_SYNC) where the runtime hashes synchronously',
    async () => {
      const v = verifier();
      const token = await issuer.mintAccessToken({ claims: { sub: 'dave' } });
      expect(verifySync(v, token)).toBeUndefined(); // nothing cached yet: real work needed
      const first = await v.verifyAccessToken(token);
      const spy = signatureChecks();
      const hit = verifySync(v, token);
      expect(hit).not.toBeInstanceOf(Promise);
      expect(hit).toEqual(first);
      expect(hit).not.toBe(first);
      expect(spy).not.toHaveBeenCalled();
      expect(verifySync(v, await issuer.mintAccessToken())).toBeUndefined(); // another token
      expect(verifySync(verifier({ cache: false }), token)).toBeUndefined();
      vi.advanceTimersByTime(300_000); // past maxAgeMs: no synchronous answer any more
      expect(verifySync(v, token)).toBeUndefined();
    },
  );
});

describe('the negative cache is keyed on the typed failure reason', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
      algorithms: ['ES256'],
    });
  });

  /** A verifier whose cache is warmed by one good token. */
  async function warmVerifier(options: Partial<JwtVerifierOptions> = {}) {
    const v = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      fetch: issuer.fetch,
      ...options,
    });
    await v.verifyAccessToken(await issuer.mintAccessToken());
    return v;
  }

  async function reasonOf(promise: Promise<unknown>): Promise<string | undefined> {
    const error = await promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e,
    );
    expect(isMcpAuthError(error)).toBe(true);
    return (error as McpAuthError).reason;
  }

  /**
   * What the cache says without verifying: `cached-rejection` (with its reason), a hit or a
   * miss — synchronously where the runtime hashes synchronously; else a miss is told by the
   * signature check the verifier makes.
   */
  async function cachedAnswer(v: JwtVerifier, token: string): Promise<string> {
    if (syncTokenHash !== undefined) {
      try {
        return verifySync(v, token) === undefined ? 'miss' : 'hit';
      } catch (error) {
        return `cached-rejection:${(error as McpAuthError).reason}`;
      }
    }
    const spy = spyOnSignatureChecks();
    const error = await v.verifyAccessToken(token).then(
      () => undefined,
      (e: McpAuthError) => e,
    );
    const checked = spy.mock.calls.length > 0;
    spy.mockRestore();
    if (checked) return 'miss';
    return error === undefined ? 'hit' : `cached-rejection:${error.reason}`;
  }

  it('rememberedRejection: the reason decides, never the message', () => {
    const bad = new McpAuthError('invalid_token', 'reworded', { reason: 'bad_signature' });
    expect(rememberedRejection(bad)).toEqual({ description: 'reworded', reason: 'bad_signature' });
    expect(
      rememberedRejection(new McpAuthError('invalid_token', 'invalid signature')),
    ).toBeUndefined();
    for (const reason of ['expired', 'audience', 'unknown_key', 'token_type', 'issuer'] as const) {
      expect(
        rememberedRejection(new McpAuthError('invalid_token', 'x', { reason })),
      ).toBeUndefined();
    }
    expect(
      rememberedRejection(new McpAuthError('jwks_unavailable', 'x', { reason: 'bad_signature' })),
    ).toBeUndefined();
    expect(
      rememberedRejection(Object.assign(new Error('x'), { reason: 'bad_signature' })),
    ).toBeUndefined();
  });

  it('caches a bad signature: refused again without a signature check, same reason', async () => {
    const v = await warmVerifier();
    const forged = alterTokenPayload(await issuer.mintAccessToken(), { scope: 'admin' });
    expect(await reasonOf(v.verifyAccessToken(forged))).toBe('bad_signature');
    expect(await cachedAnswer(v, forged)).toBe('cached-rejection:bad_signature');
    const spy = spyOnSignatureChecks();
    expect(await reasonOf(v.verifyAccessToken(forged))).toBe('bad_signature');
    expect(spy).not.toHaveBeenCalled();
  });

  it('caches a token signed by a key that matches the kid but not the signature', async () => {
    const v = await warmVerifier();
    const outsider = await generateTestKey('ES256');
    const forged = await issuer.mintAccessToken({
      key: outsider,
      header: { kid: issuer.key('ES256').kid },
    });
    expect(await reasonOf(v.verifyAccessToken(forged))).toBe('bad_signature');
    expect(await cachedAnswer(v, forged)).toBe('cached-rejection:bad_signature');
  });

  it.each<[string, () => Promise<string>, string, Partial<JwtVerifierOptions>]>([
    [
      'an expired token',
      () => issuer.mintAccessToken({ issuedAt: NOW / 1000 - 400, expiresIn: 300 }),
      'expired',
      {},
    ],
    [
      'another audience',
      () => issuer.mintAccessToken({ claims: { aud: 'https://other.example.com/mcp' } }),
      'audience',
      {},
    ],
    [
      'a generic JWT type',
      () => issuer.mintAccessToken({ header: { typ: 'JWT' } }),
      'token_type',
      {},
    ],
    [
      'a not-yet-valid token',
      () => issuer.mintAccessToken({ claims: { nbf: NOW / 1000 + 3_600 } }),
      'not_yet_valid',
      {},
    ],
    [
      'a missing required claim',
      () => issuer.mintAccessToken({ omit: ['sub'] }),
      'missing_claim',
      {},
    ],
    [
      'a sender-constrained token',
      () => issuer.mintAccessToken({ claims: { cnf: { jkt: 'abc' } } }),
      'sender_constrained',
      {},
    ],
  ])('does not cache %s (reason %s)', async (_name, mint, reason, options) => {
    const v = await warmVerifier(options);
    const token = await mint();
    expect(await reasonOf(v.verifyAccessToken(token))).toBe(reason);
    expect(await cachedAnswer(v, token)).toBe('miss');
    expect(await reasonOf(v.verifyAccessToken(token))).toBe(reason);
  });

  it('does not cache an unknown kid (a key rotation may publish it)', async () => {
    const v = await warmVerifier();
    const outsider = await generateTestKey('ES256');
    const token = await issuer.mintAccessToken({ key: outsider });
    expect(await reasonOf(v.verifyAccessToken(token))).toBe('unknown_key');
    expect(await cachedAnswer(v, token)).toBe('miss');
  });
});
