import { type Decision, type DecisionReason, finishDecision } from './audit.js';
import { isMcpAuthError, type McpAuthErrorCode } from './errors.js';
import type { DenyBody, DenyResult } from './types.js';
import { buildChallenge } from './www-authenticate.js';

/** The challenge/response stage: every denial the decision can give, built here. */

const JSON_HEADERS = Object.freeze({
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
});
const CHALLENGE_CACHE_LIMIT = 512;
const INVALID_TOKEN = 'The access token is invalid';
/** The description of a token past its `exp` (plus the tolerance). */
export const EXPIRED = 'The access token has expired';

/** The SDK transport's answer for an unknown session; also given for someone else's session. */
export const SESSION_NOT_FOUND: DenyBody = Object.freeze({
  jsonrpc: '2.0',
  id: null,
  error: Object.freeze({ code: -32001, message: 'Session not found' }),
}) as DenyBody;
/** `Retry-After` of a refused new session, seconds (the header's unit). */
export const SESSION_RETRY_AFTER_SECONDS = '30';

/** Builds (and remembers) a `WWW-Authenticate` value for an error, description and scopes. */
export type Challenge = (
  error: string | undefined,
  description: string | undefined,
  scope: readonly string[],
) => string;

/** DPoP as the challenges see it: whether `Bearer` is still offered, and the `algs`. */
export interface DpopChallenge {
  readonly mode: 'allowed' | 'required';
  readonly algs: string;
}

/**
 * The challenges of one endpoint, each string computed once per distinct (error, description,
 * scope) and kept in a bounded table. With DPoP on, a `DPoP` challenge (with `algs`) follows the
 * `Bearer` one — `Bearer` stays first while it is accepted, since SDK 1.x clients read only a
 * header that starts with it — or stands alone when DPoP is required. The error goes on the
 * scheme the request used: `Bearer` unless `onDpop`.
 * @see RFC 9449 §7.1
 */
export function createChallenges(
  resourceMetadata: string,
  dpop?: DpopChallenge,
  onDpop = false,
): Challenge {
  const table = new Map<string, string>();
  return (error, description, scope) => {
    const key = `${error ?? ''}\u0000${description ?? ''}\u0000${scope.join(' ')}`;
    let value = table.get(key);
    if (value === undefined) {
      const errorParams = {
        ...(error === undefined ? {} : { error }),
        ...(description === undefined ? {} : { errorDescription: description }),
      };
      const bearerError = dpop === undefined || !onDpop;
      const bearer = buildChallenge({
        ...(bearerError ? errorParams : {}),
        resourceMetadata,
        scope: [...scope],
      });
      if (dpop === undefined) {
        value = bearer;
      } else {
        const dpopChallenge = buildChallenge({
          scheme: 'DPoP',
          ...(bearerError && dpop.mode === 'allowed' ? {} : errorParams),
          resourceMetadata,
          scope: [...scope],
          algs: dpop.algs,
        });
        value = dpop.mode === 'required' ? dpopChallenge : `${bearer}, ${dpopChallenge}`;
      }
      if (table.size >= CHALLENGE_CACHE_LIMIT) table.clear();
      table.set(key, value);
    }
    return value;
  };
}

/** A denial with a JSON body, the CORS headers of the decision, and its audit reason. */
export function deny(
  d: Decision,
  status: number,
  reason: DecisionReason,
  body: DenyBody,
  extraHeaders?: Record<string, string>,
): DenyResult {
  if (d.event !== undefined) {
    d.event.reason = reason;
    if ('error_description' in body) d.event.description = body.error_description;
  }
  return finishDecision(d, {
    type: 'deny',
    status,
    // Object.assign, not spread: spreading these header records is much slower in V8.
    headers: Object.assign({}, extraHeaders, JSON_HEADERS, d.cors),
    body,
  });
}

/** An OAuth denial (RFC 6750 §3.1 body), with its `WWW-Authenticate` when it has one. */
export function oauthDeny(
  d: Decision,
  status: number,
  code: McpAuthErrorCode,
  description: string,
  wwwAuthenticate: string | undefined,
  extra?: Record<string, string>,
): DenyResult {
  return deny(
    d,
    status,
    code,
    { error: code, error_description: description },
    wwwAuthenticate === undefined
      ? extra
      : Object.assign({}, extra, { 'WWW-Authenticate': wwwAuthenticate }),
  );
}

function safeDescription(message: string, fallback: string): string {
  return typeof message === 'string' && message !== '' && message.length <= 200
    ? message
    : fallback;
}

/** 401 `invalid_token` (or 503 when the key set is unavailable) for a failed verification. */
export function rejectToken(
  d: Decision,
  challenge: Challenge,
  failure: unknown,
  required: readonly string[],
): DenyResult {
  if (isMcpAuthError(failure) && failure.status === 503) {
    const retryAfterSeconds = String(Math.max(1, Math.ceil(failure.retryAfterSeconds ?? 30)));
    return oauthDeny(
      d,
      503,
      failure.code,
      safeDescription(failure.message, 'Authorization service unavailable'),
      undefined,
      { 'Retry-After': retryAfterSeconds },
    );
  }
  // Only an McpAuthError's message is known to be safe to send; anything else is generic.
  const description = isMcpAuthError(failure)
    ? safeDescription(failure.message, INVALID_TOKEN)
    : INVALID_TOKEN;
  return oauthDeny(
    d,
    401,
    'invalid_token',
    description,
    challenge('invalid_token', description, required),
  );
}

/** Unreachable by design; a defensive, safe answer rather than a thrown error. */
export function unexpectedFailure(challenge: Challenge): DenyResult {
  const description = 'The request could not be authorized';
  return {
    type: 'deny',
    status: 401,
    headers: {
      ...JSON_HEADERS,
      'WWW-Authenticate': challenge('invalid_token', description, []),
    },
    body: { error: 'invalid_token', error_description: description },
  };
}
