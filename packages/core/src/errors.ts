/**
 * Stable machine-readable codes for every error this library raises.
 *
 * - `invalid_request` (400): malformed credentials or request (RFC 6750 §3.1).
 * - `invalid_token` (401): a token was presented and rejected (RFC 6750 §3.1).
 * - `insufficient_scope` (403): a valid token lacks the operation's scopes (RFC 6750 §3.1).
 * - `missing_credentials` (401): no bearer token was sent (RFC 6750 §3.1: no `error`).
 * - `session_forbidden` (403): the token names neither a subject nor a client, so it cannot open a session.
 * - `session_not_found` (404): a session id that is unknown, expired or bound to someone else
 *   (the same answer for all three, as the MCP SDK transport gives an unknown session).
 * - `session_limit` (503): no room for another bound session (overall, or for this subject).
 * - `jwks_unavailable` / `authorization_server_unavailable` (503): keys or metadata cannot be fetched.
 * - `store_unavailable` (503): the shared state store (`store` option) did not answer, so a
 *   session binding could not be checked or stored — never allowed without it.
 * - `jsonrpc_parse_error` / `jsonrpc_header_mismatch` / `jsonrpc_invalid_params` (400): a body the
 *   decision needs is not JSON, contradicts `Mcp-Method`/`Mcp-Name`, or names its target with
 *   something other than a string (JSON-RPC -32700, -32020, -32602).
 * - `invalid_dpop_proof` (401): the DPoP proof is missing, malformed, replayed or does not match
 *   the request, the token or the token's key binding (RFC 9449 §7.1).
 * - `dpop_replay_unavailable` (503): the DPoP replay cache cannot answer (fail closed).
 * - `use_dpop_nonce` (401): with server nonces on, the proof lacks the current `nonce`; the
 *   answer carries a fresh one in `DPoP-Nonce` (RFC 9449 §8).
 * - `invalid_configuration`: thrown as a `TypeError` subclass at construction only.
 */
export type McpAuthErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'missing_credentials'
  | 'session_forbidden'
  | 'session_not_found'
  | 'session_limit'
  | 'invalid_origin'
  | 'invalid_dpop_proof'
  | 'dpop_replay_unavailable'
  | 'use_dpop_nonce'
  | 'jwks_unavailable'
  | 'authorization_server_unavailable'
  | 'store_unavailable'
  | 'jsonrpc_parse_error'
  | 'jsonrpc_header_mismatch'
  | 'jsonrpc_invalid_params';

const STATUS: Record<McpAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  missing_credentials: 401,
  session_forbidden: 403,
  session_not_found: 404,
  session_limit: 503,
  invalid_origin: 403,
  invalid_dpop_proof: 401,
  dpop_replay_unavailable: 503,
  use_dpop_nonce: 401,
  jwks_unavailable: 503,
  authorization_server_unavailable: 503,
  store_unavailable: 503,
  jsonrpc_parse_error: 400,
  jsonrpc_header_mismatch: 400,
  jsonrpc_invalid_params: 400,
};

/**
 * Why a token was refused (`invalid_token`), for code to switch on instead of comparing
 * messages (which are descriptions and may be reworded):
 *
 * - `malformed`: empty, not a compact JWS, or not decodable; `too_large`: over the length limit.
 * - `token_type`: `typ` is not an accepted access-token type; `id_token`: an ID token.
 * - `algorithm`: `alg` not in the allow-list; `bad_signature`: the signature does not verify;
 *   `unknown_key`: no published key matches the token (unknown `kid`).
 * - `expired`, `not_yet_valid`, `issued_in_future`: `exp`, `nbf`, `iat` against the clock
 *   (with the clock tolerance).
 * - `missing_claim`, `invalid_claim`: a required claim is absent, or a claim has the wrong type.
 * - `issuer`: `iss` is not an accepted issuer; `audience`: `aud` missing or not naming the resource.
 * - `sender_constrained`: a `cnf`-bound token presented as a bearer token (or bound other than
 *   by a DPoP key).
 * - `inactive`: introspection answered `active: false`.
 * - `unverifiable`: any other failure.
 *
 * @example
 * ```ts
 * if (isMcpAuthError(e) && e.reason === 'expired') metrics.increment('expired_tokens');
 * ```
 */
export type InvalidTokenReason =
  | 'malformed'
  | 'too_large'
  | 'token_type'
  | 'id_token'
  | 'algorithm'
  | 'bad_signature'
  | 'unknown_key'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'missing_claim'
  | 'invalid_claim'
  | 'issuer'
  | 'audience'
  | 'sender_constrained'
  | 'inactive'
  | 'unverifiable';

/** Options for {@link McpAuthError}. */
export interface McpAuthErrorOptions {
  /** The underlying error, kept for diagnostics; never sent to clients. */
  cause?: unknown;
  /** Overrides the status derived from the code. */
  status?: number;
  /** Seconds a client should wait before retrying (503 only). */
  retryAfterSeconds?: number;
  /** Why the token was refused (`invalid_token` only). */
  reason?: InvalidTokenReason;
}

/**
 * The one error class of the library. `code` is stable and safe to switch on; `message` is a
 * human-readable description that is safe to send to clients (it never contains a token, key
 * material, a stack trace or a file path).
 *
 * @example
 * ```ts
 * try { await verifier.verifyAccessToken(token); }
 * catch (e) { if (isMcpAuthError(e) && e.code === 'invalid_token') { ... } }
 * ```
 */
export class McpAuthError extends Error {
  /** Marker used by {@link isMcpAuthError}; survives the ESM/CJS double-load trap. */
  readonly isMcpAuthError = true as const;
  readonly code: McpAuthErrorCode;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;
  /**
   * Why the token was refused, set by the built-in verifiers on every `invalid_token` they
   * raise; `undefined` for other codes (and for errors from other verifiers that omit it).
   */
  readonly reason: InvalidTokenReason | undefined;

  constructor(code: McpAuthErrorCode, message: string, options: McpAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'McpAuthError';
    this.code = code;
    this.status = options.status ?? STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.reason = options.reason;
  }
}

/**
 * A new `invalid_token` {@link McpAuthError} (401) with its typed `reason` — how every built-in
 * verifier refuses a token.
 *
 * @example
 * ```ts
 * throw invalidToken('token is too large', 'too_large');
 * ```
 */
export function invalidToken(
  description: string,
  reason: InvalidTokenReason,
  cause?: unknown,
): McpAuthError {
  return new McpAuthError(
    'invalid_token',
    description,
    cause === undefined ? { reason } : { reason, cause },
  );
}

/**
 * True for any {@link McpAuthError}, even one created by another copy of this package
 * (checks the marker and the code rather than `instanceof`).
 */
export function isMcpAuthError(value: unknown): value is McpAuthError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isMcpAuthError?: unknown }).isMcpAuthError === true &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (value as { code: string }).code in STATUS
  );
}

/**
 * Thrown at construction when an option is wrong. A `TypeError`, whose message names the
 * option and the rule it broke, e.g. `mcp-auth: option "issuer" must be an https URL (http is
 * allowed for loopback hosts only)`.
 */
export class McpAuthConfigError extends TypeError {
  readonly option: string;
  /** The rule the option broke, e.g. `must be an https URL`. */
  readonly rule: string;
  constructor(option: string, rule: string) {
    super(`mcp-auth: option "${option}" ${rule}`);
    this.name = 'McpAuthConfigError';
    this.option = option;
    this.rule = rule;
  }
}
