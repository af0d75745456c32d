import type { AuthorizeRequest, AuthorizeResult } from './types.js';

/**
 * The key under which a core built by `createMcpAuth` keeps its synchronous-when-possible
 * decision. `Symbol.for`, so a core built by one copy of the package (ESM) is recognised by
 * another (CJS) in the same process.
 */
export const DECIDE: unique symbol = Symbol.for('@org/mcp-auth-core/decide') as never;

/** The synchronous-when-possible decision of a core. */
export type Decide = (request: AuthorizeRequest) => AuthorizeResult | Promise<AuthorizeResult>;

/**
 * The key of a verifier's synchronous cache answer: `AuthInfo` for a token it verified before
 * (still valid), `undefined` when it would have to do real work. The built-in JWT verifier has
 * one; `createMcpAuth` uses it to decide a cache hit without a promise.
 */
export const VERIFY_SYNC: unique symbol = Symbol.for('@org/mcp-auth-core/verify-sync') as never;

/**
 * The key of a verifier's start-up check: loads what it needs from the authorization server
 * now (metadata and key set) and resolves to the failures, `[]` when it is ready. Never
 * rejects. The built-in JWT, multi-issuer and composite verifiers have one; `auth.ready()`
 * calls it.
 */
export const PREPARE: unique symbol = Symbol.for('@org/mcp-auth-core/prepare') as never;

/** A verifier's start-up check (see {@link PREPARE}). */
export type Prepare = () => Promise<PrepareFailure[]>;

/** One failure of a start-up check: the issuer it concerns and the error. */
export interface PrepareFailure {
  issuer: string;
  error: unknown;
}

/** `verifier[PREPARE]` when it has one. */
export function prepareOf(verifier: unknown): Prepare | undefined {
  if (typeof verifier !== 'object' || verifier === null) return undefined;
  const prepare = (verifier as { [PREPARE]?: unknown })[PREPARE];
  return typeof prepare === 'function' ? (prepare.bind(verifier) as Prepare) : undefined;
}
