import { type Decision, finishDecision } from './audit.js';
import { noteOutage, type StageRequest } from './decide-stage.js';
import type { McpAuthConfig } from './resolve-options.js';
import { oauthDeny, SESSION_RETRY_AFTER_SECONDS } from './respond.js';
import { sessionTicket, storeFailure, storeUnavailable } from './session-step.js';
import type { AllowResult, AuthInfo, AuthorizeResult } from './types.js';

/** The session stage's answers that are not a 404: a shared store down, the room check. */

/** 503 + `Retry-After` when the shared store did not answer: never allowed without it. */
export function storeDown(c: McpAuthConfig, d: Decision, failure: unknown): AuthorizeResult {
  const error = storeFailure(failure);
  noteOutage(c, d, error);
  const answer = storeUnavailable(error, {});
  return oauthDeny(
    d,
    503,
    'store_unavailable',
    (answer.body as { error_description: string }).error_description,
    undefined,
    { 'Retry-After': answer.headers['Retry-After'] as string },
  );
}

/** The session stage's room check, then the allow result. */
export function allow(
  c: McpAuthConfig,
  r: StageRequest,
  authInfo: AuthInfo,
  sessionId: string | undefined,
): AuthorizeResult {
  const { d } = r;
  const session =
    c.sessions === undefined
      ? undefined
      : sessionTicket(
          c.sessions,
          {
            sessionId,
            httpMethod: r.httpMethod,
            initialize: r.ops.some((op) => op.method === 'initialize'),
          },
          authInfo,
        );
  if (session === 'no_owner') {
    return oauthDeny(
      d,
      403,
      'session_forbidden',
      'The access token names neither a subject nor a client, so it cannot open a session',
      undefined,
    );
  }
  if (session === 'full' || session === 'subject_full') {
    // A live binding is never evicted to make room: the application does not run.
    return oauthDeny(
      d,
      503,
      'session_limit',
      session === 'full'
        ? 'Too many open sessions; retry later'
        : 'Too many open sessions for this subject; end one (DELETE) or retry later',
      undefined,
      { 'Retry-After': SESSION_RETRY_AFTER_SECONDS },
    );
  }
  if (d.event !== undefined) d.event.reason = 'authorized';
  const result: AllowResult = { type: 'allow', authInfo, headers: d.cors };
  if (session !== undefined) result.session = session;
  return finishDecision(d, result);
}
