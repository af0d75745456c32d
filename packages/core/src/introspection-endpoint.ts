import { BoundedFetchError, fetchJsonBounded } from './bounded-fetch.js';
import { McpAuthError } from './errors.js';
import type { ResolvedIntrospectionOptions } from './resolve-introspection-options.js';

/**
 * An introspection response (RFC 7662 §2.2): a JSON object with a boolean `active`; the other
 * members are as the authorization server sent them (unchecked).
 */
export interface IntrospectionResponse {
  active: boolean;
  exp?: unknown;
  nbf?: unknown;
  iat?: unknown;
  iss?: unknown;
  aud?: unknown;
  sub?: unknown;
  cnf?: unknown;
  [member: string]: unknown;
}

/** The authorization server's introspection endpoint, as {@link createIntrospectionEndpoint} wraps it. */
export interface IntrospectionEndpoint {
  /**
   * Asks about `token`. Rejects only with `authorization_server_unavailable` (503, with
   * `retryAfterSeconds`): the endpoint failed, timed out, redirected, answered too much or not an
   * introspection response, or is in its failure cooldown.
   */
  introspect(token: string): Promise<IntrospectionResponse>;
  /**
   * Throws that 503 at once while the endpoint is in its failure cooldown, or while the one
   * retry after it runs; returns otherwise. For callers about to wait on a request in flight.
   */
  refuseDuringOutage(): void;
}

/** The `Retry-After` of a failure that says nothing about when to retry, seconds. */
export const DEFAULT_RETRY_AFTER = 5;

/** Statuses by which an endpoint asks its clients to back off (RFC 6585 §4, RFC 9110 §15.6.4). */
const BACK_OFF_STATUSES = new Set([429, 503]);

/**
 * Whether `error` says the endpoint itself is unavailable — a deadline missed, or an
 * explicit "back off" — rather than something one token could provoke. Only such failures
 * are remembered: a token that makes the endpoint fail must not lock out every other token,
 * and a failure that came back at once costs the next request nothing.
 */
function isOutage(error: unknown): error is BoundedFetchError {
  if (!(error instanceof BoundedFetchError)) return false;
  if (error.failure === 'timeout') return true;
  return (
    error.failure === 'http_status' &&
    error.upstreamStatus !== undefined &&
    BACK_OFF_STATUSES.has(error.upstreamStatus)
  );
}

/** Whole seconds to wait for `ms`, at least 1. */
const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * A 503 `authorization_server_unavailable` error.
 * @example
 * ```ts
 * throw unavailable('token introspection failed', DEFAULT_RETRY_AFTER, cause);
 * ```
 */
export function unavailable(
  description: string,
  retryAfterSeconds: number,
  cause?: unknown,
): McpAuthError {
  return new McpAuthError('authorization_server_unavailable', description, {
    retryAfterSeconds,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The request headers: form body, JSON answer, and HTTP Basic client authentication. */
function requestHeaders(options: ResolvedIntrospectionOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (options.clientAuthMethod === 'client_secret_basic') {
    const { clientId, clientSecret } = options;
    headers.authorization = `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
  }
  return headers;
}

/**
 * Tracks outages of the endpoint: after a timeout or a 429/503 it is not asked for
 * `failureCooldownMs` (or the shorter `Retry-After` it sent), then one request (the probe)
 * retries while the others are refused; any other outcome ends the outage.
 */
function createOutageGate(timeoutMs: number, failureCooldownMs: number) {
  /** The endpoint is not asked before this time (ms) after an outage. */
  let failedUntil = Number.NEGATIVE_INFINITY;
  /** The last request ended in an outage (see `isOutage`); cleared by any other outcome. */
  let outage = false;
  /** While the one retry after an outage runs: when its deadline passes (ms). */
  let probeDeadline: number | undefined;

  function refuseDuringOutage(): void {
    if (!outage) return;
    const t = Date.now();
    if (t < failedUntil) {
      throw unavailable(
        'the token introspection endpoint is unavailable (failed recently)',
        seconds(failedUntil - t),
      );
    }
    if (probeDeadline !== undefined) {
      throw unavailable(
        'the token introspection endpoint is unavailable (being retried)',
        seconds(probeDeadline - t),
      );
    }
  }

  /** Lets a request reach the endpoint (see `refuseDuringOutage`); true when it is the probe. */
  function admit(): boolean {
    refuseDuringOutage();
    if (!outage) return false;
    probeDeadline = Date.now() + timeoutMs;
    return true;
  }

  function settle(probe: boolean, failure: unknown): void {
    if (probe) probeDeadline = undefined;
    if (isOutage(failure)) {
      outage = true;
      // An endpoint that said how long to back off is believed when that is shorter: a burst of
      // junk tokens that trips its rate limit must not shut everyone out for longer than it does.
      const asked = failure.upstreamRetryAfter;
      const wait =
        asked === undefined ? failureCooldownMs : Math.min(asked * 1000, failureCooldownMs);
      failedUntil = Date.now() + wait;
    } else {
      // The endpoint answered, or failed at once: nothing makes the next request wait.
      outage = false;
    }
  }

  return { refuseDuringOutage, admit, settle };
}

function isIntrospectionResponse(document: unknown): document is IntrospectionResponse {
  return (
    typeof document === 'object' &&
    document !== null &&
    !Array.isArray(document) &&
    typeof (document as Record<string, unknown>).active === 'boolean'
  );
}

/**
 * The introspection endpoint of RFC 7662 §2: an authenticated `POST` of `token` with
 * `token_type_hint=access_token`, through `fetchJsonBounded` (one deadline, `timeoutMs`;
 * redirects refused; body capped at `maxResponseBytes`), with the failure cooldown described
 * at {@link IntrospectionEndpoint}. The client secret never appears in an error.
 *
 * @see RFC 7662 §2.1–2.2, RFC 6749 §2.3.1, RFC 6585 §4
 * @example
 * ```ts
 * const endpoint = createIntrospectionEndpoint(resolveIntrospectionOptions(options));
 * const { active } = await endpoint.introspect(token);
 * ```
 */
export function createIntrospectionEndpoint(
  options: ResolvedIntrospectionOptions,
): IntrospectionEndpoint {
  const { endpoint, clientId, clientSecret, timeoutMs, failureCooldownMs } = options;
  const headers = requestHeaders(options);
  const gate = createOutageGate(timeoutMs, failureCooldownMs);

  async function introspect(token: string): Promise<IntrospectionResponse> {
    const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
    if (options.clientAuthMethod === 'client_secret_post') {
      body.set('client_id', clientId);
      body.set('client_secret', clientSecret);
    }
    const probe = gate.admit();
    let document: unknown;
    try {
      document = await fetchJsonBounded(endpoint, {
        fetch: options.fetch,
        timeoutMs,
        maxResponseBytes: options.maxResponseBytes,
        code: 'authorization_server_unavailable',
        what: 'token introspection',
        method: 'POST',
        headers,
        body: body.toString(),
      });
    } catch (error) {
      gate.settle(probe, error);
      const { message, upstreamRetryAfter } = error as BoundedFetchError;
      const fallback = isOutage(error) ? seconds(failureCooldownMs) : DEFAULT_RETRY_AFTER;
      throw unavailable(message, upstreamRetryAfter ?? fallback, error);
    }
    gate.settle(probe, undefined);
    if (!isIntrospectionResponse(document)) {
      throw unavailable('the token introspection response is malformed', DEFAULT_RETRY_AFTER);
    }
    return document;
  }

  return { introspect, refuseDuringOutage: gate.refuseDuringOutage };
}
