import { type CheckContext, excerpt, isSecureOrLoopback, record, send, tryUrl } from './http.js';
import { initializeRequest, postHeaders } from './mcp-messages.js';
import {
  type AuthChallenge,
  ChallengeSyntaxError,
  parseWwwAuthenticate,
} from './parse-www-authenticate.js';

/** What the unauthenticated request taught the later groups. */
export interface ChallengeFindings {
  /** The `Bearer` challenge, when one was parsed. */
  bearer?: AuthChallenge;
  /** `resource_metadata` when it is an absolute URL. */
  resourceMetadata?: string;
  /** The challenge's `scope`, split. */
  scope?: string[];
}

const WHY_401 =
  'RFC 6750 §3 and MCP 2025-11-25 Authorization ("Authorization Server Discovery"): a request without a token gets 401 with a WWW-Authenticate challenge; that answer is how a client learns it must authorize.';
const WHY_PARSE =
  'RFC 9110 §11.6.1 defines the WWW-Authenticate grammar (auth-scheme, auth-params, quoted-string); RFC 6750 §3 the Bearer challenge. Clients that cannot parse the header cannot find the metadata.';
const WHY_BEARER =
  'RFC 6750 §3: a resource that takes Bearer tokens sends a "Bearer" challenge; MCP SDK 1.x clients read only a header that starts with it.';
const WHY_RESOURCE_METADATA =
  'RFC 9728 §5.1 and MCP 2025-11-25 Authorization ("Protected Resource Metadata Discovery Requirements"): servers MUST name their Protected Resource Metadata in the challenge\'s resource_metadata, an absolute URL; https except on loopback (MCP "Communication Security").';
const WHY_SCOPE =
  'RFC 6750 §3 and MCP 2025-11-25 Authorization ("Scope Selection Strategy"): the challenge\'s scope tells the client what to ask for first; without it clients request every scope in scopes_supported.';
const WHY_NO_ERROR =
  'RFC 6750 §3.1: when the request carried no authentication information the challenge SHOULD NOT include an error code; clients read error="invalid_token" as "your token was rejected".';

const LATER = [
  ['challenge.parse', 'WWW-Authenticate parses (RFC 9110 §11)', WHY_PARSE],
  ['challenge.bearer', 'a Bearer challenge', WHY_BEARER],
  ['challenge.resource-metadata', 'resource_metadata names the metadata', WHY_RESOURCE_METADATA],
  ['challenge.scope', 'scope names the first scopes to ask for', WHY_SCOPE],
  ['challenge.no-error', 'no error code without credentials', WHY_NO_ERROR],
] as const;

/** Records the checks after `id` as skipped. */
function skipAfter(context: CheckContext, id: string | undefined, reason: string): void {
  const start = id === undefined ? 0 : LATER.findIndex(([later]) => later === id) + 1;
  for (const [later, title, why] of LATER.slice(start)) {
    record(context, later, title, 'skip', reason, why);
  }
}

/**
 * The unauthenticated `initialize` POST: 401, a parseable `WWW-Authenticate` with a Bearer
 * challenge naming an absolute `resource_metadata`, a `scope`, and no `error`.
 */
export async function checkChallenge(context: CheckContext): Promise<ChallengeFindings> {
  const findings: ChallengeFindings = {};
  const result = await send(context, context.url, {
    method: 'POST',
    headers: postHeaders(),
    body: initializeRequest(),
  });
  if (!result.ok) {
    record(
      context,
      'challenge.status',
      'unauthenticated initialize → 401',
      'fail',
      `POST ${context.url}: ${result.error}`,
      WHY_401,
      'Check the URL and that the server is running and reachable from here.',
    );
    skipAfter(context, undefined, 'no answer to the unauthenticated request');
    return findings;
  }
  const { status, headers, text } = result.answer;
  if (status !== 401) {
    const location = headers.get('location');
    record(
      context,
      'challenge.status',
      'unauthenticated initialize → 401',
      'fail',
      `POST ${context.url} without a token answered ${status}${location ? ` (Location: ${location})` : ''}: ${excerpt(text)}`,
      WHY_401,
      status >= 200 && status < 300
        ? 'Protect the MCP endpoint: every request without a valid token must get 401 with a Bearer challenge.'
        : 'Answer a request without a token with 401 and WWW-Authenticate: Bearer resource_metadata="…", scope="…" (not a redirect, 403, 404 or 5xx).',
    );
    skipAfter(context, undefined, `the unauthenticated request answered ${status}, not 401`);
    return findings;
  }
  record(
    context,
    'challenge.status',
    'unauthenticated initialize → 401',
    'pass',
    `POST ${context.url} without a token answered 401`,
    WHY_401,
  );

  const header = headers.get('www-authenticate');
  if (header === null) {
    record(
      context,
      'challenge.parse',
      'WWW-Authenticate parses (RFC 9110 §11)',
      'fail',
      'the 401 has no WWW-Authenticate header',
      WHY_PARSE,
      'Send WWW-Authenticate: Bearer resource_metadata="<PRM URL>", scope="<scopes>" with every 401.',
    );
    skipAfter(context, 'challenge.parse', 'no WWW-Authenticate header');
    return findings;
  }
  let challenges: AuthChallenge[];
  try {
    challenges = parseWwwAuthenticate(header);
  } catch (error) {
    const message = error instanceof ChallengeSyntaxError ? error.message : String(error);
    record(
      context,
      'challenge.parse',
      'WWW-Authenticate parses (RFC 9110 §11)',
      'fail',
      `WWW-Authenticate: ${excerpt(header)} — ${message}`,
      WHY_PARSE,
      'Build the header as: Bearer resource_metadata="<absolute URL>", scope="<space-separated scopes>" — parameters separated by commas, every value in double quotes, no `"` or `\\` inside values.',
    );
    skipAfter(context, 'challenge.parse', 'the challenge could not be parsed');
    return findings;
  }
  const schemes = challenges.map((c) => c.scheme).join(', ') || 'none';
  record(
    context,
    'challenge.parse',
    'WWW-Authenticate parses (RFC 9110 §11)',
    challenges.length > 0 ? 'pass' : 'fail',
    `WWW-Authenticate: ${excerpt(header)} — ${challenges.length} challenge(s): ${schemes}`,
    WHY_PARSE,
    'Send at least one challenge: Bearer resource_metadata="…", scope="…".',
  );

  const bearerIndex = challenges.findIndex((c) => c.scheme.toLowerCase() === 'bearer');
  const bearer = challenges[bearerIndex];
  if (!bearer) {
    record(
      context,
      'challenge.bearer',
      'a Bearer challenge',
      'fail',
      `challenges: ${schemes}; none is Bearer`,
      WHY_BEARER,
      'Start the header with a Bearer challenge.',
    );
    skipAfter(context, 'challenge.bearer', 'no Bearer challenge');
    return findings;
  }
  findings.bearer = bearer;
  record(
    context,
    'challenge.bearer',
    'a Bearer challenge',
    bearerIndex === 0 ? 'pass' : 'warn',
    bearerIndex === 0
      ? `Bearer challenge first${bearer.token68 ? ' (token68 form, no params)' : ''}, params: ${Object.keys(bearer.params).join(', ') || 'none'}`
      : `the Bearer challenge is number ${bearerIndex + 1} (after ${challenges[0]!.scheme})`,
    WHY_BEARER,
    'Put the Bearer challenge first: MCP SDK 1.x clients only read a header that starts with "Bearer ".',
  );

  const metadata = bearer.params.resource_metadata;
  if (metadata === undefined) {
    record(
      context,
      'challenge.resource-metadata',
      'resource_metadata names the metadata',
      'fail',
      'the Bearer challenge has no resource_metadata',
      WHY_RESOURCE_METADATA,
      `Add resource_metadata="${defaultPrmUrl(context.url)}" to the challenge (and serve the document there).`,
    );
  } else {
    const parsed = /^[a-z][a-z0-9+.-]*:/i.test(metadata) ? tryUrl(metadata) : undefined;
    const quotedNote = bearer.quoted.includes('resource_metadata')
      ? ''
      : '; the value is not quoted (MCP SDK 1.x clients read only quoted values)';
    if (!parsed) {
      record(
        context,
        'challenge.resource-metadata',
        'resource_metadata names the metadata',
        'fail',
        `resource_metadata="${metadata}" is not an absolute URL`,
        WHY_RESOURCE_METADATA,
        `Send the absolute URL, e.g. resource_metadata="${defaultPrmUrl(context.url)}".`,
      );
    } else if (!isSecureOrLoopback(parsed)) {
      record(
        context,
        'challenge.resource-metadata',
        'resource_metadata names the metadata',
        'fail',
        `resource_metadata="${metadata}" is neither https nor http on a loopback host`,
        WHY_RESOURCE_METADATA,
        'Serve the metadata over https (http only for localhost / 127.0.0.1 during development).',
      );
    } else {
      findings.resourceMetadata = parsed.href;
      const escaped = bearer.escaped.includes('resource_metadata');
      record(
        context,
        'challenge.resource-metadata',
        'resource_metadata names the metadata',
        quotedNote || escaped ? 'warn' : 'pass',
        `resource_metadata="${metadata}"${quotedNote}${escaped ? '; the value holds a backslash escape, which MCP SDK 1.x clients do not undo' : ''}`,
        WHY_RESOURCE_METADATA,
        'Quote the value and keep `"` and `\\` out of it.',
      );
    }
  }

  const scope = bearer.params.scope;
  if (scope === undefined || scope.trim() === '') {
    record(
      context,
      'challenge.scope',
      'scope names the first scopes to ask for',
      'warn',
      scope === undefined ? 'the Bearer challenge has no scope' : 'scope="" is empty',
      WHY_SCOPE,
      'Add scope="<the scopes a client needs to start>" (least privilege, e.g. the read scope); everything else can come by step-up.',
    );
  } else {
    findings.scope = scope.split(' ').filter(Boolean);
    record(
      context,
      'challenge.scope',
      'scope names the first scopes to ask for',
      'pass',
      `scope="${scope}"`,
      WHY_SCOPE,
    );
  }

  const error = bearer.params.error;
  record(
    context,
    'challenge.no-error',
    'no error code without credentials',
    error === undefined ? 'pass' : 'fail',
    error === undefined
      ? 'no error parameter'
      : `error="${error}"${bearer.params.error_description ? `, error_description="${bearer.params.error_description}"` : ''} on a request that sent no token`,
    WHY_NO_ERROR,
    'Leave error out when the request carried no Authorization header; use error="invalid_token" only for a token that was sent and rejected.',
  );
  return findings;
}

/** The path-inserted Protected Resource Metadata URL for `resource` (RFC 9728 §3.1). */
export function defaultPrmUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}
