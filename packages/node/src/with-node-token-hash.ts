import { hash } from 'node:crypto';
import { type McpAuthOptions, withTokenHash } from '@org/mcp-auth-core';

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
 * custom `verifier` is used, the cache is off (`jwt.cache: false`) or a `hash` is already set
 * (the core's `withTokenHash`).
 *
 * @example
 * ```ts
 * const core = createMcpAuth(withNodeTokenHash({ resource, issuer }));
 * ```
 */
export function withNodeTokenHash<T extends McpAuthOptions>(options: T): T {
  return withTokenHash(options, nodeTokenHash);
}
