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
