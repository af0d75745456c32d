import { spyOnSignatureChecks } from './helpers/signature-spy.js';
import { createTestIssuer } from '@org/mcp-auth-testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VERIFY_SYNC } from '../src/core-brand.js';
import type { AuthInfo } from '../src/types.js';
import { syncTokenHash, tokenHash } from '../src/token-hash.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';

async function sha256Bytes(text: string): Promise<number[]> {
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))];
}

type Runtime = { process?: { getBuiltinModule?: unknown } };

/**
 * The core's modules as a runtime without `process.getBuiltinModule` (Workers, browsers) loads
 * them: imported afresh while it is hidden, so `token-hash.ts` finds no synchronous SHA-256.
 */
async function importWithoutNodeCrypto() {
  const runtime = (globalThis as Runtime).process;
  const saved = runtime?.getBuiltinModule;
  if (runtime !== undefined) runtime.getBuiltinModule = undefined;
  vi.resetModules();
  try {
    return {
      hash: await import('../src/token-hash.js'),
      jwt: await import('../src/create-jwt-verifier.js'),
      cache: await import('../src/token-cache.js'),
    };
  } finally {
    if (runtime !== undefined) runtime.getBuiltinModule = saved;
    vi.resetModules();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('tokenHash', () => {
  it('is the SHA-256 of the token, never the token', async () => {
    const key = await tokenHash(TOKEN);
    const bytes = await sha256Bytes(TOKEN);
    const expected =
      syncTokenHash === undefined
        ? String.fromCharCode(...bytes)
        : btoa(String.fromCharCode(...bytes));
    expect(key).toBe(expected);
    expect(key.includes(TOKEN) || TOKEN.includes(key)).toBe(false);
  });

  it.runIf(syncTokenHash !== undefined)(
    'answers synchronously (base64) where the runtime has node:crypto',
    () => {
      const key = tokenHash(TOKEN);
      expect(typeof key).toBe('string');
      expect(key).toBe(syncTokenHash?.(TOKEN));
      expect(key).toHaveLength(44);
    },
  );
});

describe('without process.getBuiltinModule: the Web Crypto key', () => {
  it('hashes with Web Crypto, asynchronously, to the same digest bytes', async () => {
    const { hash } = await importWithoutNodeCrypto();
    expect(hash.syncTokenHash).toBeUndefined();
    const pending = hash.tokenHash(TOKEN);
    expect(pending).toBeInstanceOf(Promise);
    const key = await pending;
    expect([...key].map((c) => c.charCodeAt(0))).toEqual(await sha256Bytes(TOKEN));
  });

  it('the token cache keys by it: no synchronous key, hits after an awaited key', async () => {
    const { cache: mod } = await importWithoutNodeCrypto();
    const cache = mod.createTokenCache();
    expect(cache.keySync(TOKEN)).toBeUndefined();
    const key = await cache.key(TOKEN);
    const info: AuthInfo = { token: TOKEN, clientId: 'c', scopes: ['a'], expiresAt: 2e9 };
    cache.store(key, info, 1);
    expect(cache.lookup(await cache.key(TOKEN), 'presented', 1)).toMatchObject({
      token: 'presented',
      scopes: ['a'],
    });
    expect(cache.lookup(await cache.key(`${TOKEN}x`), 'other', 1)).toBeUndefined();
  });

  it('the JWT verifier caches with it: a repeated token skips the signature check', async () => {
    const { jwt } = await importWithoutNodeCrypto();
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
      algorithms: ['ES256'],
    });
    const verifier = jwt.createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      fetch: issuer.fetch,
    });
    const token = await issuer.mintAccessToken();
    await verifier.verifyAccessToken(token);
    const verify = spyOnSignatureChecks();
    const digest = vi.spyOn(crypto.subtle, 'digest');
    await expect(verifier.verifyAccessToken(token)).resolves.toMatchObject({ token });
    expect(verify).not.toHaveBeenCalled();
    expect(digest).toHaveBeenCalled(); // the key came from Web Crypto
    // No synchronous answer without a synchronous hash: the caller takes the promise path.
    const sync = (verifier as unknown as Record<symbol, (t: string) => unknown>)[VERIFY_SYNC];
    expect(sync?.(token)).toBeUndefined();
  });
});
