import { BoundedFetchError } from './bounded-fetch.js';
import { isMcpAuthError } from './errors.js';

/**
 * Why a key set could not be loaded, in words an operator can act on: which document, at
 * which address, and what was wrong with it. Kept as the `cause` of the 503 a request gets,
 * told to the `logger` and the decision event, and turned into a configuration error by
 * `auth.ready()` when the issuer answered but does not match the configuration.
 */

/** One failed fetch of the load: what was fetched, where, and the error. */
export class KeySetFetchFailure extends Error {
  readonly url: string;
  constructor(what: string, url: string, cause: unknown) {
    super(`${what} at ${withoutSecrets(url)}: ${messageOf(cause)}`, { cause });
    this.name = 'KeySetFetchFailure';
    this.url = url;
  }
}

/** Authorization server metadata that names another issuer. */
export class IssuerMismatchError extends Error {
  readonly found: unknown;
  readonly expected: string;
  constructor(found: unknown, expected: string) {
    super(
      `metadata issuer ${typeof found === 'string' ? quote(found) : 'is missing and'} does not equal the configured issuer ${quote(expected)}${mismatchHint(found, expected)}`,
    );
    this.name = 'IssuerMismatchError';
    this.found = found;
    this.expected = expected;
  }
}

/** What differs between two issuer strings, when it is one of the usual slips. */
function mismatchHint(found: unknown, expected: string): string {
  if (typeof found !== 'string' || !URL.canParse(found) || !URL.canParse(expected)) return '';
  if (found.replace(/\/$/, '') === expected.replace(/\/$/, '')) {
    return ' (they differ by a trailing slash: configure the issuer exactly as the metadata says)';
  }
  const a = new URL(found);
  const b = new URL(expected);
  if (a.pathname !== b.pathname && a.host === b.host) {
    return ' (the paths differ: configure the issuer exactly as the metadata says)';
  }
  if (a.host !== b.host) {
    return ' (the hosts differ — localhost and 127.0.0.1 are different issuers: configure the issuer exactly as the metadata says)';
  }
  return ' (configure the issuer exactly as the metadata says)';
}

/**
 * A string from the remote server, quoted for a log line: control characters escaped (no
 * forged lines or terminal sequences), at most 200 characters.
 */
function quote(text: string): string {
  const escaped = JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text).slice(1, -1);
  return `'${escaped.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;
}

/** A URL for logs: no user name, password, query or fragment (they may hold secrets). */
function withoutSecrets(url: string): string {
  if (!URL.canParse(url)) return '(an invalid URL)';
  const u = new URL(url);
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  return u.href;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

const MAX_DESCRIPTION = 600;

/**
 * One line describing `error` and its causes (an `AggregateError`'s errors joined by `; `),
 * at most 600 characters. Never holds a token: key-set loads send none.
 *
 * @example
 * ```ts
 * describeFailure(error);
 * // "authorization server metadata at http://127.0.0.1:9400/.well-known/oauth-authorization-server: metadata issuer 'http://127.0.0.1:9400/' does not equal …"
 * ```
 */
export function describeFailure(error: unknown): string {
  const text = describe(error, 0);
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
}

function describe(error: unknown, depth: number): string {
  if (depth > 4) return '…';
  if (error instanceof AggregateError) {
    return error.errors.map((e) => describe(e, depth + 1)).join('; ');
  }
  if (error instanceof KeySetFetchFailure) return error.message;
  if (isMcpAuthError(error) && error.cause !== undefined && !(error instanceof BoundedFetchError)) {
    return `${error.message}: ${describe(error.cause, depth + 1)}`;
  }
  return messageOf(error);
}

/**
 * The part of `error` that names a configuration mistake, when there is one (an issuer
 * mismatch, with the document that showed it); else the whole description.
 */
export function describeMistake(error: unknown): string {
  const mismatch = failures(error).find((f) => f.cause instanceof IssuerMismatchError);
  return mismatch === undefined ? describeFailure(error) : mismatch.message;
}

function failures(error: unknown): KeySetFetchFailure[] {
  if (error instanceof AggregateError) return error.errors.flatMap(failures);
  if (error instanceof KeySetFetchFailure) return [error];
  if (isMcpAuthError(error) && error.cause !== undefined) return failures(error.cause);
  return [];
}

/** Every leaf failure of `error` (through `AggregateError`s and wrapping fetch failures). */
function leaves(error: unknown): unknown[] {
  if (error instanceof AggregateError) return error.errors.flatMap(leaves);
  if (error instanceof KeySetFetchFailure) return leaves(error.cause);
  if (isMcpAuthError(error) && !(error instanceof BoundedFetchError) && error.cause !== undefined) {
    return leaves(error.cause);
  }
  return [error];
}

/** An outage that may end by itself: no connection, a timeout, a 5xx, 408 or 429. */
function isTransient(leaf: unknown): boolean {
  if (!(leaf instanceof BoundedFetchError)) return false;
  if (leaf.failure === 'unreachable' || leaf.failure === 'timeout') return true;
  const status = leaf.upstreamStatus;
  return (
    leaf.failure === 'http_status' &&
    status !== undefined &&
    (status >= 500 || status === 408 || status === 429)
  );
}

/**
 * Whether a failed load is an outage (`transient`: retry, the configuration may be right) or
 * a configuration mistake (the issuer answered, but not with what the options expect): an
 * issuer mismatch anywhere is a mistake; otherwise any outage makes the whole load transient.
 */
export function isTransientFailure(error: unknown): boolean {
  const all = leaves(error);
  if (all.some((leaf) => leaf instanceof IssuerMismatchError)) return false;
  return all.some(isTransient);
}
