import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import type { AuthorizationServerFindings } from './authorization-server-checks.js';
import { type CheckContext, excerpt, record, send } from './http.js';
import { initializeRequest, postHeaders, readRpc, rpcMessage } from './mcp-messages.js';
import { ChallengeSyntaxError, parseWwwAuthenticate } from './parse-www-authenticate.js';
import type { PrmFindings } from './protected-resource-metadata-checks.js';

const WHY_FORMAT =
  'RFC 9068 §2: JWT access tokens carry iss, aud, exp and scope that a client-side check can read; an opaque token can only be judged by the server (RFC 7662 introspection).';
const WHY_AUD =
  'RFC 8707 §2, RFC 9068 §4 and MCP 2025-11-25 Authorization ("Token Audience Binding and Validation"): the server MUST reject tokens not issued for it — aud must contain the resource of its Protected Resource Metadata.';
const WHY_ISS =
  'RFC 9068 §4 and RFC 8414 §3.3: iss must be exactly the issuer of an authorization server the metadata lists, or the server cannot know whose keys verify it.';
const WHY_TYP =
  'RFC 9068 §2.1 and §4: JWT access tokens carry typ "at+jwt" so they cannot be confused with ID tokens; strict resource servers refuse other types.';
const WHY_EXP = 'RFC 9068 §2.2 and §4: exp is required; an expired token is refused with 401.';
const WHY_SIGNATURE =
  "RFC 9068 §4: the signature must verify with a key from the issuer's jwks_uri.";
const WHY_SCOPES =
  'RFC 9068 §2.2.3 and MCP 2025-11-25 Authorization ("Scope Selection Strategy"): scopes the resource does not list in scopes_supported mean nothing to it; the tools\' scopes must be among them.';
const WHY_AUTHORIZED =
  'MCP 2025-11-25 Authorization ("Access Token Usage") and Lifecycle: a request with a valid token in the Authorization header is served; initialize and tools/list must answer 200.';
const WHY_STEP_UP =
  'RFC 6750 §3.1 and MCP 2025-11-25 Authorization ("Scope Challenge Handling"): a valid token without the scopes an operation needs gets 403 with Bearer error="insufficient_scope", scope naming the scopes required, and resource_metadata.';

const NON_RESOURCE_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

function formatDuration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

function tokenScopes(claims: JWTPayload): string[] | undefined {
  if (typeof claims.scope === 'string') return claims.scope.split(' ').filter(Boolean);
  const scp = (claims as Record<string, unknown>).scp;
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  if (Array.isArray(scp) && scp.every((s) => typeof s === 'string')) return scp as string[];
  return undefined;
}

/** The token: its claims (decoded, not trusted), then authorized requests and the 403. */
export async function checkToken(
  context: CheckContext,
  prm: PrmFindings,
  servers: AuthorizationServerFindings[],
): Promise<void> {
  const token = context.token!;
  let header: ProtectedHeaderParameters | undefined;
  let claims: JWTPayload | undefined;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    header = undefined;
    claims = undefined;
  }
  const claimChecks = [
    ['token.aud', 'aud names this resource', WHY_AUD],
    ['token.iss', 'iss is a listed authorization server', WHY_ISS],
    ['token.typ', 'typ is at+jwt', WHY_TYP],
    ['token.exp', 'the token has not expired', WHY_EXP],
    ['token.signature', "the signature verifies with the issuer's keys", WHY_SIGNATURE],
    ['token.scopes', "the token's scopes are ones the resource lists", WHY_SCOPES],
  ] as const;
  let granted: string[] = [];
  if (!header || !claims) {
    record(
      context,
      'token.format',
      'the token can be read',
      'pass',
      'an opaque token (not a JWT): only the HTTP checks run',
      WHY_FORMAT,
    );
    for (const [id, title, why] of claimChecks) {
      record(context, id, title, 'skip', 'opaque token', why);
    }
  } else {
    record(
      context,
      'token.format',
      'the token can be read',
      'pass',
      `a JWT (alg ${String(header.alg)}${header.kid ? `, kid ${header.kid.slice(0, 16)}` : ''}), decoded without trusting it`,
      WHY_FORMAT,
    );
    const resource = prm.resource ?? context.url;
    const aud = claims.aud;
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    record(
      context,
      'token.aud',
      'aud names this resource',
      audiences.includes(resource) ? 'pass' : 'fail',
      `aud ${aud === undefined ? 'missing' : JSON.stringify(aud)}, the resource is "${resource}"`,
      WHY_AUD,
      `Request the token with resource=${resource} (RFC 8707) so the authorization server puts that exact string in aud.`,
    );

    if (servers.length === 0) {
      record(
        context,
        'token.iss',
        'iss is a listed authorization server',
        'skip',
        'no authorization server is listed',
        WHY_ISS,
      );
    } else {
      const issuers = new Set<string>();
      for (const server of servers) {
        issuers.add(server.url);
        if (typeof server.metadata?.issuer === 'string') issuers.add(server.metadata.issuer);
      }
      const iss = claims.iss;
      record(
        context,
        'token.iss',
        'iss is a listed authorization server',
        typeof iss === 'string' && issuers.has(iss) ? 'pass' : 'fail',
        `iss ${iss === undefined ? 'missing' : `"${iss}"`}; authorization servers: ${[...issuers].join(', ')}`,
        WHY_ISS,
        'Use a token from the authorization server the metadata lists, or list its issuer in authorization_servers.',
      );
    }

    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
    record(
      context,
      'token.typ',
      'typ is at+jwt',
      typ === 'at+jwt' || typ === 'application/at+jwt' ? 'pass' : 'warn',
      `typ ${header.typ === undefined ? 'missing' : `"${header.typ}"`}`,
      WHY_TYP,
      'Configure the authorization server to issue RFC 9068 access tokens (typ at+jwt), or allow its typ explicitly on the resource server.',
    );

    const now = Math.floor(Date.now() / 1000);
    const exp = claims.exp;
    record(
      context,
      'token.exp',
      'the token has not expired',
      typeof exp === 'number' && exp > now ? 'pass' : 'fail',
      typeof exp !== 'number'
        ? 'no exp claim'
        : exp > now
          ? `expires in ${formatDuration(exp - now)}`
          : `expired ${formatDuration(now - exp)} ago`,
      WHY_EXP,
      typeof exp === 'number' ? 'Get a fresh token.' : 'Issue tokens with exp.',
    );

    const keys = servers.find(
      (server) =>
        server.jwks && (server.url === claims?.iss || server.metadata?.issuer === claims?.iss),
    )?.jwks;
    if (!keys) {
      record(
        context,
        'token.signature',
        "the signature verifies with the issuer's keys",
        'skip',
        "no key set of the token's issuer was loaded",
        WHY_SIGNATURE,
      );
    } else {
      let saw: string;
      let ok = false;
      try {
        await compactVerify(token, createLocalJWKSet(keys));
        ok = true;
        saw = "verified with a key from the issuer's JWK Set";
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        saw = `does not verify: ${typeof code === 'string' ? code : 'error'} — ${error instanceof Error ? error.message : String(error)}`;
      }
      record(
        context,
        'token.signature',
        "the signature verifies with the issuer's keys",
        ok ? 'pass' : 'fail',
        saw,
        WHY_SIGNATURE,
        'Use a token signed by the listed authorization server with a key it publishes.',
      );
    }

    const scopes = tokenScopes(claims);
    granted = scopes ?? [];
    if (!scopes || scopes.length === 0) {
      record(
        context,
        'token.scopes',
        "the token's scopes are ones the resource lists",
        'warn',
        'the token carries no scope (or scp) claim',
        WHY_SCOPES,
        `Request the scopes the tools need${prm.scopesSupported ? ` (${prm.scopesSupported.join(' ')})` : ''}.`,
      );
    } else if (!prm.scopesSupported) {
      record(
        context,
        'token.scopes',
        "the token's scopes are ones the resource lists",
        'pass',
        `scopes: ${scopes.join(' ')} (the metadata lists no scopes_supported to compare with)`,
        WHY_SCOPES,
      );
    } else {
      const supported = prm.scopesSupported;
      const unknown = scopes.filter((s) => !supported.includes(s) && !NON_RESOURCE_SCOPES.has(s));
      const known = scopes.filter((s) => supported.includes(s));
      record(
        context,
        'token.scopes',
        "the token's scopes are ones the resource lists",
        unknown.length === 0 && known.length > 0 ? 'pass' : 'warn',
        `scopes: ${scopes.join(' ')}${unknown.length ? ` — not in scopes_supported: ${unknown.join(' ')}` : ''}${known.length === 0 ? ' — none of scopes_supported' : ''}`,
        WHY_SCOPES,
        `Request scopes from scopes_supported: ${supported.join(' ')}.`,
      );
    }
  }

  await checkAuthorizedRequests(context, granted);
}

async function checkAuthorizedRequests(context: CheckContext, granted: string[]): Promise<void> {
  const authorization = `Bearer ${context.token}`;
  const init = await send(context, context.url, {
    method: 'POST',
    headers: postHeaders({ authorization }),
    body: initializeRequest(),
  });
  const initStatus = init.ok ? init.answer.status : undefined;
  const initRpc = init.ok
    ? readRpc(init.answer.headers.get('content-type') ?? '', init.answer.text)
    : undefined;
  const result = initRpc?.result as Record<string, unknown> | undefined;
  const sessionId = init.ok ? (init.answer.headers.get('mcp-session-id') ?? undefined) : undefined;
  const negotiated =
    typeof result?.protocolVersion === 'string' ? result.protocolVersion : undefined;
  let challengeNote = '';
  if (init.ok && initStatus !== 200) {
    const www = init.answer.headers.get('www-authenticate');
    if (www) challengeNote = `, WWW-Authenticate: ${excerpt(www)}`;
  }
  record(
    context,
    'token.initialize',
    'initialize with the token → 200',
    initStatus === 200 && result ? 'pass' : 'fail',
    !init.ok
      ? `POST ${context.url}: ${init.error}`
      : initStatus === 200
        ? result
          ? `200${negotiated ? `, protocol ${negotiated}` : ''}${sessionId ? ', a session id' : ', no session (stateless)'}`
          : `200 but no JSON-RPC result: ${excerpt(init.answer.text)}`
        : `answered ${initStatus}${challengeNote}: ${excerpt(init.answer.text)}`,
    WHY_AUTHORIZED,
    'See the token checks above: a token the server refuses is usually for another resource (aud), another issuer (iss), expired, or of another type (typ).',
  );
  const skipAfterInit = (reason: string) => {
    record(
      context,
      'token.tools-list',
      'tools/list with the token → 200',
      'skip',
      reason,
      WHY_AUTHORIZED,
    );
    record(
      context,
      'token.step-up',
      'a missing scope gets 403 insufficient_scope',
      'skip',
      reason,
      WHY_STEP_UP,
    );
  };
  if (initStatus !== 200 || !result) {
    skipAfterInit('the authorized initialize failed');
    return;
  }

  const sessionHeaders: Record<string, string> = { authorization };
  if (sessionId) sessionHeaders['mcp-session-id'] = sessionId;
  if (negotiated) sessionHeaders['mcp-protocol-version'] = negotiated;
  try {
    await send(context, context.url, {
      method: 'POST',
      headers: postHeaders(sessionHeaders),
      body: rpcMessage('notifications/initialized', undefined, true),
    });
    const list = await send(context, context.url, {
      method: 'POST',
      headers: postHeaders(sessionHeaders),
      body: rpcMessage('tools/list'),
    });
    const listRpc = list.ok
      ? readRpc(list.answer.headers.get('content-type') ?? '', list.answer.text)
      : undefined;
    const tools = (listRpc?.result as { tools?: unknown } | undefined)?.tools;
    const names = Array.isArray(tools)
      ? tools.flatMap((tool) =>
          tool && typeof (tool as { name?: unknown }).name === 'string'
            ? [(tool as { name: string }).name]
            : [],
        )
      : undefined;
    record(
      context,
      'token.tools-list',
      'tools/list with the token → 200',
      list.ok && list.answer.status === 200 && names ? 'pass' : 'fail',
      !list.ok
        ? `POST tools/list: ${list.error}`
        : list.answer.status === 200 && names
          ? `200, ${names.length} tool(s): ${names.join(', ') || 'none'}`
          : `answered ${list.answer.status}: ${excerpt(list.answer.text)}`,
      WHY_AUTHORIZED,
      'tools/list needs only the baseline scopes: a token that may initialize should be able to list tools.',
    );
    await checkStepUp(context, sessionHeaders, granted, names);
  } finally {
    if (sessionId) {
      await send(context, context.url, { method: 'DELETE', headers: sessionHeaders });
    }
  }
}

async function checkStepUp(
  context: CheckContext,
  headers: Record<string, string>,
  granted: string[],
  tools: string[] | undefined,
): Promise<void> {
  const title = 'a missing scope gets 403 insufficient_scope';
  if (!context.stepUpTool) {
    record(
      context,
      'token.step-up',
      title,
      'skip',
      'no step-up tool named',
      WHY_STEP_UP,
      'Pass stepUpTool (--step-up-tool <name>) with a tool whose scope this token lacks; it is called with empty arguments.',
    );
    return;
  }
  const tool = context.stepUpTool;
  if (tools && !tools.includes(tool)) {
    record(
      context,
      'token.step-up',
      title,
      'skip',
      `"${tool}" is not among the listed tools (${tools.join(', ') || 'none'})`,
      WHY_STEP_UP,
      'Name a tool tools/list returns.',
    );
    return;
  }
  const call = await send(context, context.url, {
    method: 'POST',
    headers: postHeaders(headers),
    body: rpcMessage('tools/call', { name: tool, arguments: {} }),
  });
  if (!call.ok) {
    record(
      context,
      'token.step-up',
      title,
      'fail',
      `tools/call ${tool}: ${call.error}`,
      WHY_STEP_UP,
    );
    return;
  }
  const { status, headers: answerHeaders, text } = call.answer;
  const www = answerHeaders.get('www-authenticate');
  if (status === 200) {
    record(
      context,
      'token.step-up',
      title,
      'skip',
      `tools/call ${tool} answered 200: this token already has what "${tool}" needs`,
      WHY_STEP_UP,
      "Use a token without the tool's scope (e.g. only the read scope) to see the 403.",
    );
    return;
  }
  if (status !== 403) {
    record(
      context,
      'token.step-up',
      title,
      'fail',
      `tools/call ${tool} answered ${status}${www ? `, WWW-Authenticate: ${excerpt(www)}` : ''}: ${excerpt(text)}`,
      WHY_STEP_UP,
      status === 401
        ? 'A valid token that lacks a scope gets 403 insufficient_scope, not 401: a 401 tells clients the token is bad, and they re-authorize for the same scopes.'
        : 'Answer a call the token lacks scopes for with 403 and WWW-Authenticate: Bearer error="insufficient_scope", scope="…", resource_metadata="…".',
    );
    return;
  }
  const problems: string[] = [];
  let params: Record<string, string> = {};
  if (!www) {
    problems.push('no WWW-Authenticate header');
  } else {
    try {
      const bearer = parseWwwAuthenticate(www).find((c) => c.scheme.toLowerCase() === 'bearer');
      if (!bearer) problems.push('no Bearer challenge');
      else params = bearer.params;
    } catch (error) {
      problems.push(error instanceof ChallengeSyntaxError ? error.message : String(error));
    }
  }
  if (www && problems.length === 0) {
    if (params.error !== 'insufficient_scope') {
      problems.push(
        `error is ${params.error ? `"${params.error}"` : 'missing'}, not "insufficient_scope"`,
      );
    }
    const needed = (params.scope ?? '').split(' ').filter(Boolean);
    if (needed.length === 0) problems.push('no scope naming what is needed');
    else if (granted.length > 0 && needed.every((s) => granted.includes(s))) {
      problems.push(`scope "${params.scope}" names only scopes the token already has`);
    }
    if (!params.resource_metadata) problems.push('no resource_metadata');
  }
  record(
    context,
    'token.step-up',
    title,
    problems.length ? 'fail' : 'pass',
    `tools/call ${tool} answered 403${www ? `, WWW-Authenticate: ${excerpt(www)}` : ''}${problems.length ? ` — ${problems.join('; ')}` : ''}`,
    WHY_STEP_UP,
    'Send WWW-Authenticate: Bearer error="insufficient_scope", scope="<scopes the operation needs (plus those already granted)>", resource_metadata="<PRM URL>".',
  );
}
