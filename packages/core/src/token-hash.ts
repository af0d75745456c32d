/** A token digest: what the verified-token caches key their entries by. */
export type TokenDigest = string;

type OneShotHash = (algorithm: 'sha256', data: string, encoding: 'base64') => string;
type CreateHash = (algorithm: 'sha256') => {
  update(data: string): { digest(encoding: 'base64'): string };
};
type NodeCrypto = { hash?: unknown; createHash?: unknown };
type WithBuiltins = { process?: { getBuiltinModule?: (id: string) => unknown } };

/**
 * A synchronous SHA-256 (base64) where the runtime offers `node:crypto` through
 * `process.getBuiltinModule` (Node ≥ 20.16, Bun, Deno): the one-shot `hash` where it exists,
 * else `createHash`. `undefined` elsewhere (Workers without Node compatibility, browsers).
 * Reached without importing `node:*`, so the core stays runtime-neutral.
 */
function findSyncSha256(): ((token: string) => string) | undefined {
  let crypto: NodeCrypto | undefined;
  try {
    crypto = (globalThis as WithBuiltins).process?.getBuiltinModule?.('node:crypto') as
      | NodeCrypto
      | undefined;
  } catch {
    return undefined;
  }
  if (typeof crypto?.hash === 'function') {
    const hash = crypto.hash as OneShotHash;
    return (token) => hash('sha256', token, 'base64');
  }
  if (typeof crypto?.createHash === 'function') {
    const createHash = crypto.createHash as CreateHash;
    return (token) => createHash('sha256').update(token).digest('base64');
  }
  return undefined;
}

const encoder = new TextEncoder();

/** Web Crypto's SHA-256 of `token`, as a 32-character binary string (cheaper than base64). */
async function webSha256(token: string): Promise<TokenDigest> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(token)));
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/**
 * The runtime's synchronous SHA-256, found once when the module loads; `undefined` when there
 * is none (then {@link tokenHash} is Web Crypto's asynchronous digest).
 */
export const syncTokenHash: ((token: string) => TokenDigest) | undefined = findSyncSha256();

/**
 * SHA-256 of a token, the key of every verified-token cache: synchronous with `node:crypto`
 * where the runtime has it, else Web Crypto's asynchronous digest. The two never mix in one
 * process, so a key always means the same token.
 *
 * @example
 * ```ts
 * const key = tokenHash(token);
 * const digest = typeof key === 'string' ? key : await key;
 * ```
 */
export const tokenHash: (token: string) => TokenDigest | Promise<TokenDigest> =
  syncTokenHash ?? webSha256;
