import { headerValues } from './headers.js';
import type { HeadersInit } from './types.js';

/**
 * Result of {@link extractBearerToken}.
 * @example
 * ```ts
 * const r = extractBearerToken({ headers });
 * if (r.kind === 'token') use(r.token);
 * ```
 */
export type BearerTokenResult =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  | { kind: 'invalid'; description: string };

/**
 * Options for {@link extractBearerToken}.
 * @example
 * ```ts
 * extractBearerToken(request, { maxLength: 4096 });
 * ```
 */
export interface ExtractBearerTokenOptions {
  /** Longest accepted token, in characters. Default 8192. */
  maxLength?: number;
}

/**
 * The parts of a request bearer extraction reads.
 * @example
 * ```ts
 * extractBearerToken({ headers: req.headers, url: req.url, body: req.body });
 * ```
 */
export interface BearerTokenRequest {
  headers: HeadersInit;
  /** Request URL or path; only read for a duplicate `access_token` query parameter. */
  url?: string | URL;
  /** Parsed body; only read for a duplicate `access_token` form field. */
  body?: unknown;
}

/**
 * Default {@link ExtractBearerTokenOptions.maxLength}: 8 KiB.
 * @example
 * ```ts
 * createMcpAuth({ ...options, maxTokenLength: DEFAULT_MAX_TOKEN_LENGTH * 2 });
 * ```
 */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

// RFC 7235 §2.1 token68: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
// auth-scheme = token (RFC 7230 tchar)
const SCHEME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
const JOINED_BEARER = /,\s*bearer(?:\s|$)/i;
const JOINED_DPOP = /,\s*dpop(?:\s|$)/i;

/**
 * Reads the bearer token from the `Authorization` header only (RFC 6750 §2.1): scheme
 * case-insensitive, one or more spaces, token68 characters, at most `maxLength` characters.
 *
 * - `none`: no `Authorization` header, another scheme, or a token only in the query string
 *   or form body (never accepted there) — answer 401 without `error`.
 * - `invalid`: empty or malformed Bearer credentials, oversized, two `Authorization`
 *   headers, comma-joined values (a Web `Headers` joins duplicates), or a header token also
 *   sent as `access_token` in the query or form body — answer 400 `invalid_request`.
 *
 * @see RFC 6750 §2 and §3.1
 * @example
 * ```ts
 * extractBearerToken({ headers: { authorization: 'Bearer abc.def.ghi' } });
 * // { kind: 'token', token: 'abc.def.ghi' }
 * extractBearerToken({ headers: { authorization: ['Bearer a', 'Bearer b'] } });
 * // { kind: 'invalid', description: 'Multiple Authorization headers' }
 * ```
 */
export function extractBearerToken(
  request: BearerTokenRequest,
  options: ExtractBearerTokenOptions = {},
): BearerTokenResult {
  const result = extractAccessToken(request, options.maxLength ?? DEFAULT_MAX_TOKEN_LENGTH, false);
  if (result.kind === 'token') return { kind: 'token', token: result.token };
  return result.kind === 'invalid' ? { kind: 'invalid', description: result.description } : result;
}

/**
 * What {@link extractAccessToken} found: as {@link BearerTokenResult}, with the scheme that
 * carried the token.
 */
export type AccessTokenResult =
  | { kind: 'none' }
  | { kind: 'token'; token: string; scheme: 'bearer' | 'dpop' }
  | { kind: 'invalid'; description: string; scheme: 'bearer' | 'dpop' };

/**
 * {@link extractBearerToken}'s rules for the `Bearer` scheme and, with `dpop`, the same rules
 * for the `DPoP` scheme (RFC 9449 §7.1); any other scheme is "no credentials".
 * @example
 * ```ts
 * extractAccessToken({ headers: { authorization: 'DPoP abc' } }, 8192, true);
 * // { kind: 'token', token: 'abc', scheme: 'dpop' }
 * ```
 */
export function extractAccessToken(
  request: BearerTokenRequest,
  maxLength: number,
  dpop: boolean,
): AccessTokenResult {
  const values = headerValues(request.headers, 'authorization');
  if (values.length === 0) return NONE;
  if (values.length > 1) return invalid('Multiple Authorization headers');
  const raw = values[0] as string;
  // HTTP parsers strip surrounding optional whitespace; do the same for hand-built input.
  const value = trimOws(raw);
  const scheme = SCHEME.exec(value)?.[0];
  if (scheme === undefined) {
    return value === '' ? NONE : invalid('Malformed Authorization header');
  }
  const name = scheme.toLowerCase();
  if (name !== 'bearer' && !(dpop && name === 'dpop')) {
    return JOINED_BEARER.test(value) || (dpop && JOINED_DPOP.test(value))
      ? invalid('Multiple Authorization credentials')
      : NONE;
  }
  const s = name as 'bearer' | 'dpop';
  const label = s === 'dpop' ? 'DPoP' : 'bearer';
  const Label = s === 'dpop' ? 'DPoP' : 'Bearer';
  const rest = value.slice(scheme.length);
  if (rest === '') return invalid(`Empty ${label} token`, s);
  if (rest[0] !== ' ') return invalid('Malformed Authorization header', s);
  const token = rest.replace(/^ +/, '');
  if (token === '') return invalid(`Empty ${label} token`, s);
  if (token.length > maxLength) return invalid(`${Label} token too long`, s);
  if (token.includes(',')) return invalid('Multiple Authorization credentials', s);
  if (!TOKEN68.test(token)) return invalid(`Malformed ${label} token`, s);
  if (hasQueryToken(request.url) || hasBodyToken(request.body)) {
    return invalid(`${Label} token sent more than one way`, s);
  }
  return { kind: 'token', token, scheme: s };
}

const NONE = Object.freeze({ kind: 'none' as const });

/**
 * `value` without spaces and tabs at either end (RFC 9110 §5.5 OWS), in one pass over those
 * characters only. (A regex such as `/[ \t]+$/` restarts at every space of an inner run, so
 * a hand-built value with long runs of inner spaces cost quadratic time.)
 */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 32 || code === 9;
}

function invalid(
  description: string,
  scheme: 'bearer' | 'dpop' = 'bearer',
): { kind: 'invalid'; description: string; scheme: 'bearer' | 'dpop' } {
  return { kind: 'invalid', description, scheme };
}

function hasQueryToken(url: string | URL | undefined): boolean {
  if (url === undefined) return false;
  if (typeof url !== 'string') return url.searchParams.has('access_token');
  const q = url.indexOf('?');
  if (q < 0) return false;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  return mayNameAccessToken(query) && new URLSearchParams(query).has('access_token');
}

/**
 * A cheap pre-check before decoding form data: the name in clear, or any percent-escape (which
 * could spell it, `acc%65ss_token`). Decoding only then keeps the common case free.
 */
function mayNameAccessToken(form: string): boolean {
  return form.includes('access_token') || form.includes('%');
}

function hasBodyToken(body: unknown): boolean {
  if (body === undefined || body === null) return false;
  if (typeof body === 'string') {
    return mayNameAccessToken(body) && !/^\s*[[{]/.test(body)
      ? new URLSearchParams(body).has('access_token')
      : false;
  }
  if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) {
    return body.has('access_token');
  }
  if (typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    // A parsed form body; a JSON-RPC message is never a form.
    return (
      !('jsonrpc' in record) && Object.hasOwn(record, 'access_token') && record.access_token != null
    );
  }
  return false;
}
