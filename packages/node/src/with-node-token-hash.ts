import { hash } from 'node:crypto';
import type { McpAuthOptions } from '@org/mcp-auth-core';

/**
 * SHA-256 of a token with `node:crypto`'s one-shot `hash` (~2 µs, synchronous), base64: the
 * key of the core's verified-token cache (Web Crypto's digest is asynchronous and
 * costs tens of µs on Node).
 *
 * @example
 * ```ts
 * createJwtVerifier({ issuer, resource, cache: { hash: nodeTokenHash } });
 * ```
 */
export function nodeTokenHash(token: string): string {
  return hash('sha256', token, 'base64');
}

/**
 * The options with {@link nodeTokenHash} as the built-in JWT verifier's cache hash, unless a
 * custom `verifier` is used, the cache is off (`jwt.cache: false`) or a `hash` is already set.
 *
 * @example
 * ```ts
 * const core = createMcpAuth(withNodeTokenHash({ resource, issuer }));
 * ```
 */
export function withNodeTokenHash<T extends McpAuthOptions>(options: T): T {
  if (typeof options !== 'object' || options === null || options.verifier !== undefined) {
    return options;
  }
  const jwt = options.jwt;
  if (jwt !== undefined && (typeof jwt !== 'object' || jwt === null)) return options;
  const cache = jwt?.cache;
  if (cache !== undefined && (typeof cache !== 'object' || cache === null)) return options;
  if (cache?.hash !== undefined) return options;
  return { ...options, jwt: { ...jwt, cache: { ...cache, hash: nodeTokenHash } } };
}
