import type { SessionReservation } from './session-binding.js';

/**
 * Information about a validated access token, structurally identical to the MCP SDK's
 * `AuthInfo` (`@modelcontextprotocol/sdk/server/auth/types.js`), so tool handlers receive it
 * as `extra.authInfo` unchanged.
 */
export interface AuthInfo {
  /** The access token as presented. Never logged or put in an audit event. */
  token: string;
  /** `client_id` claim, else `azp`, else `''`. */
  clientId: string;
  /** Granted scopes, normalised from the configured claims. */
  scopes: string[];
  /** `exp`, in seconds since the epoch. */
  expiresAt?: number;
  /** The resource (this server) the token was accepted for. */
  resource?: URL;
  /**
   * `sub`, `iss` and the verified claims (`claims`); `droppedScopes` when scope values were
   * refused (not scope-tokens, or a claim of the wrong shape — see `DroppedScope`).
   */
  extra?: Record<string, unknown>;
}

/**
 * Anything that turns a bearer token into {@link AuthInfo} or rejects it with an
 * `McpAuthError`. Also the MCP SDK's `OAuthTokenVerifier` interface.
 */
export interface AccessTokenVerifier {
  verifyAccessToken(token: string): Promise<AuthInfo>;
  /**
   * Optional: `true` when every token this verifier accepts passed the shared lifetime rule
   * (`checkTokenLifetime`) with {@link AccessTokenVerifier.clockToleranceMs}. `createMcpAuth`
   * judges `expiresAt` itself (with the default 60 s tolerance) for verifiers that do not say so.
   */
  readonly checksLifetime?: boolean;
  /** Optional: the clock tolerance, in milliseconds, the verifier applies to `exp`/`nbf`/`iat`. */
  readonly clockToleranceMs?: number;
}

/**
 * A header value as frameworks present it. Repeated headers MUST be passed as arrays (Node's
 * `req.headers` keeps only the first `Authorization`; rebuild from `req.rawHeaders`).
 */
export type HeaderValue = string | readonly string[] | undefined;

/** Web `Headers`, a plain record (keys any case), or a list of name/value pairs. */
export type HeadersInit =
  | Headers
  | Readonly<Record<string, HeaderValue>>
  | Iterable<readonly [string, string]>;

/** The framework-neutral request the core decides on. */
export interface AuthorizeRequest {
  /** HTTP method, any case. */
  method: string;
  /** Absolute URL or path with query (`/mcp?x=1`). */
  url: string | URL;
  headers: HeadersInit;
  /**
   * The request body if the framework already read it: a parsed JSON value, a string, or
   * a `URLSearchParams`/record for form bodies. `undefined` when not read.
   */
  body?: unknown;
}

/** JSON body of a denial: an OAuth error object or a JSON-RPC error response. */
export type DenyBody =
  | { error: string; error_description: string }
  | { jsonrpc: '2.0'; id: null; error: { code: number; message: string } };

export interface AllowResult {
  type: 'allow';
  /**
   * The validated token; `undefined` only when a `policy.publicMethods` request was let
   * through without one (there is no placeholder to filter out).
   */
  authInfo?: AuthInfo;
  /** Headers to add to the eventual response (CORS). */
  headers: Record<string, string>;
  /**
   * Session work left for when the response head is known (set when sessions are bound): hand
   * the result to `McpAuth.onResponse`. Opaque to adapters.
   */
  session?: SessionTicket;
}

/**
 * What the core remembers between an allowed request and its response: open a session (bind a
 * new `Mcp-Session-Id` to the token's owner, using the room reserved for an `initialize`) or
 * close one (end the binding if the application answered the `DELETE` with a 2xx). Settled once.
 */
export type SessionTicket =
  | {
      readonly action: 'open';
      readonly reservation: SessionReservation | undefined;
      settled: boolean;
    }
  | { readonly action: 'close'; readonly sessionId: string; settled: boolean };

/**
 * The head of the response an application gave an allowed request: its status (0 when the
 * request ended without one) and the `Mcp-Session-Id` it carries, if any.
 * @example
 * ```ts
 * const head: ResponseHead = { status: 200, sessionId: 'abc' };
 * ```
 */
export interface ResponseHead {
  status: number;
  sessionId?: string | undefined;
}

export interface DenyResult {
  type: 'deny';
  status: number;
  headers: Record<string, string>;
  body: DenyBody;
}

export type AuthorizeResult = AllowResult | DenyResult;

/** A complete response for routes the core answers itself (metadata, preflight). */
export interface PlainResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON-serialisable body, or `undefined` for none (HEAD, 204, 405). */
  body?: unknown;
}
