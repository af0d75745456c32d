import type { ChallengeFindings } from './challenge-checks.js';
import { defaultPrmUrl } from './challenge-checks.js';
import {
  type CheckContext,
  excerpt,
  type HttpAnswer,
  isSecureOrLoopback,
  parseJsonObject,
  record,
  send,
  stringArray,
  tryUrl,
} from './http.js';

/** The Protected Resource Metadata a client would use, as far as the checks found it. */
export interface PrmFindings {
  document?: Record<string, unknown>;
  /** The document's `resource`, when it is a string. */
  resource?: string;
  /** `authorization_servers` entries that are strings. */
  authorizationServers: string[];
  scopesSupported?: string[];
}

interface Fetched {
  url: string;
  document?: Record<string, unknown>;
  answer?: HttpAnswer;
  /** Why the location gives no usable document. */
  problem?: string;
}

const WHY_LOCATION =
  'RFC 9728 §3 and §3.1: the metadata of a resource at https://host/<path> lives at https://host/.well-known/oauth-protected-resource/<path>; MCP 2025-11-25 Authorization ("Protected Resource Metadata Discovery Requirements"): clients try the challenge\'s resource_metadata, then the path-inserted location, then the root.';
const WHY_POINTER =
  'RFC 9728 §5.1: the resource_metadata URL in the challenge is where clients fetch the metadata first; it must serve the document.';
const WHY_JSON =
  'RFC 9728 §3.2: the metadata is a JSON object served as application/json with 200.';
const WHY_RESOURCE =
  "RFC 9728 §3.3: the resource value MUST be identical to the resource identifier the client used, or the client MUST NOT use the metadata; MCP SDK clients refuse a mismatch, and send resource unchanged as the RFC 8707 resource parameter (the tokens' aud).";
const WHY_AS =
  'RFC 9728 §2 and MCP 2025-11-25 Authorization ("Authorization Server Location"): the metadata MUST list at least one authorization server in authorization_servers.';
const WHY_SCOPES =
  'RFC 9728 §2 (scopes_supported, RECOMMENDED) and MCP 2025-11-25 Authorization ("Scope Selection Strategy"): clients without a challenge scope ask for scopes_supported; a scope the 401 asks for but the metadata does not list makes the two disagree.';
const WHY_BEARER_METHODS =
  'RFC 9728 §2 (bearer_methods_supported) and MCP 2025-11-25 Authorization ("Token Requirements"): MCP clients MUST send the token in the Authorization header, never in the query string (RFC 6750 §2.3, §5.3).';

const LATER = [
  ['prm.json', 'the metadata is JSON', WHY_JSON],
  ['prm.resource', 'resource equals the URL the client used', WHY_RESOURCE],
  ['prm.authorization-servers', 'authorization_servers is not empty', WHY_AS],
  ['prm.scopes-supported', 'scopes_supported lists the challenge scopes', WHY_SCOPES],
  ['prm.bearer-methods', 'bearer_methods_supported', WHY_BEARER_METHODS],
] as const;

async function fetchDocument(context: CheckContext, url: string): Promise<Fetched> {
  const result = await send(context, url, { headers: { accept: 'application/json' } });
  if (!result.ok) return { url, problem: result.error };
  const { answer } = result;
  if (answer.status !== 200) {
    const location = answer.headers.get('location');
    const note =
      answer.status === 401 || answer.status === 403
        ? ' (the metadata must be public)'
        : location
          ? ` (redirects to ${location})`
          : '';
    return { url, answer, problem: `answered ${answer.status}${note}` };
  }
  const document = parseJsonObject(answer.text);
  if (!document)
    return { url, answer, problem: `200 but not a JSON object: ${excerpt(answer.text)}` };
  return { url, answer, document };
}

/** The client's URL and the `resource` agree exactly (or `resource` is the URL's serialization). */
function resourceMatches(url: string, resource: string): boolean {
  if (resource === url) return true;
  const parsed = tryUrl(url);
  return parsed !== undefined && resource === parsed.href;
}

/**
 * Protected Resource Metadata (RFC 9728): both locations, the challenge's pointer, and the
 * fields clients rely on.
 */
export async function checkProtectedResourceMetadata(
  context: CheckContext,
  challenge: ChallengeFindings,
): Promise<PrmFindings> {
  const findings: PrmFindings = { authorizationServers: [] };
  const pathInsertedUrl = defaultPrmUrl(context.url);
  const rootUrl = `${new URL(context.url).origin}/.well-known/oauth-protected-resource`;
  const sameLocation = pathInsertedUrl === rootUrl;
  const pathInserted = await fetchDocument(context, pathInsertedUrl);
  const root = sameLocation ? pathInserted : await fetchDocument(context, rootUrl);

  const pathState = pathInserted.document ? 'served' : (pathInserted.problem ?? '');
  const rootState = root.document ? 'served' : (root.problem ?? '');
  if (pathInserted.document) {
    record(
      context,
      'prm.path-inserted',
      'metadata at the path-inserted location',
      'pass',
      `GET ${pathInsertedUrl}: 200 JSON${sameLocation ? ' (the resource has no path: this is also the root)' : ''}`,
      WHY_LOCATION,
    );
  } else {
    record(
      context,
      'prm.path-inserted',
      'metadata at the path-inserted location',
      root.document ? 'warn' : 'fail',
      `GET ${pathInsertedUrl}: ${pathState}${root.document ? `; the root ${rootUrl} serves a document` : ''}`,
      WHY_LOCATION,
      root.document
        ? `Serve the same document at ${pathInsertedUrl} too: it is the location RFC 9728 §3.1 defines for this resource; the root alone only works for clients that fall back to it.`
        : `Serve the Protected Resource Metadata (JSON: resource, authorization_servers, scopes_supported, bearer_methods_supported) at ${pathInsertedUrl} and at ${rootUrl}.`,
    );
  }
  if (!sameLocation) {
    let status: 'pass' | 'warn' | 'fail' = 'pass';
    let saw = `GET ${rootUrl}: 200 JSON`;
    if (!root.document) {
      status = pathInserted.document ? 'warn' : 'fail';
      saw = `GET ${rootUrl}: ${rootState}`;
    } else if (
      pathInserted.document &&
      typeof root.document.resource === 'string' &&
      root.document.resource !== pathInserted.document.resource
    ) {
      saw += ` (its resource is "${root.document.resource}", the path-inserted one's is "${String(pathInserted.document.resource)}")`;
    }
    record(
      context,
      'prm.root',
      'metadata at the root location',
      status,
      saw,
      WHY_LOCATION,
      pathInserted.document
        ? `Serve the document at ${rootUrl} too: clients that do not read resource_metadata (MCP Inspector's guided flow, 2025-03-26 clients) look there.`
        : `Serve the Protected Resource Metadata at ${pathInsertedUrl} and at ${rootUrl}.`,
    );
  }

  let pointed: Fetched | undefined;
  if (!challenge.resourceMetadata) {
    record(
      context,
      'prm.pointer',
      'resource_metadata points at a served document',
      'skip',
      'the challenge names no usable resource_metadata',
      WHY_POINTER,
    );
  } else {
    const target = challenge.resourceMetadata;
    const which =
      target === pathInsertedUrl
        ? 'the path-inserted location'
        : target === rootUrl
          ? 'the root location'
          : 'another location';
    pointed =
      target === pathInsertedUrl
        ? pathInserted
        : target === rootUrl
          ? root
          : await fetchDocument(context, target);
    record(
      context,
      'prm.pointer',
      'resource_metadata points at a served document',
      pointed.document ? 'pass' : 'fail',
      `resource_metadata points at ${which} (${target}): ${pointed.document ? '200 JSON' : pointed.problem}`,
      WHY_POINTER,
      `Point resource_metadata at ${pathInsertedUrl} and serve the document there.`,
    );
  }

  const effective = [pointed, pathInserted, root].find((f) => f?.document);
  if (!effective?.document || !effective.answer) {
    for (const [id, title, why] of LATER) {
      record(context, id, title, 'skip', 'no Protected Resource Metadata document was found', why);
    }
    return findings;
  }
  const document = effective.document;
  findings.document = document;
  const contentType = effective.answer.headers.get('content-type') ?? '';
  record(
    context,
    'prm.json',
    'the metadata is JSON',
    /^application\/json\b/i.test(contentType) ? 'pass' : 'warn',
    `${effective.url}: Content-Type ${contentType || '(none)'}, a JSON object with ${Object.keys(document).join(', ') || 'no fields'}`,
    WHY_JSON,
    'Serve it with Content-Type: application/json.',
  );

  const resource = document.resource;
  if (typeof resource !== 'string') {
    record(
      context,
      'prm.resource',
      'resource equals the URL the client used',
      'fail',
      `resource is ${resource === undefined ? 'missing' : JSON.stringify(resource)}`,
      WHY_RESOURCE,
      `Set "resource": "${context.url}".`,
    );
  } else {
    findings.resource = resource;
    const matches = resourceMatches(context.url, resource);
    let saw = `resource "${resource}", the client used "${context.url}"`;
    if (!matches && resource.replace(/\/$/, '') === context.url.replace(/\/$/, '')) {
      saw += ` — they differ only by a trailing slash`;
    } else if (!matches && resource.toLowerCase() === context.url.toLowerCase()) {
      saw += ' — they differ only in letter case';
    }
    record(
      context,
      'prm.resource',
      'resource equals the URL the client used',
      matches ? 'pass' : 'fail',
      saw,
      WHY_RESOURCE,
      `Make resource exactly "${context.url}" (character for character) — or give clients the URL the metadata names — and accept that string as the tokens' aud.`,
    );
  }

  const servers = document.authorization_servers;
  const list = stringArray(servers);
  if (!list || list.length === 0) {
    record(
      context,
      'prm.authorization-servers',
      'authorization_servers is not empty',
      'fail',
      `authorization_servers is ${servers === undefined ? 'missing' : JSON.stringify(servers)}`,
      WHY_AS,
      'List your authorization server\'s issuer URL: "authorization_servers": ["https://auth.example.com"].',
    );
  } else {
    const bad = list.filter((entry) => {
      const parsed = tryUrl(entry);
      return !parsed || !isSecureOrLoopback(parsed);
    });
    findings.authorizationServers = list.filter((entry) => !bad.includes(entry));
    record(
      context,
      'prm.authorization-servers',
      'authorization_servers is not empty',
      bad.length === 0 ? 'pass' : 'fail',
      `authorization_servers: ${list.join(', ')}${bad.length ? ` — not an https (or loopback http) URL: ${bad.join(', ')}` : ''}`,
      WHY_AS,
      'Each entry must be the issuer identifier of an authorization server: an absolute https URL.',
    );
  }

  const scopes = stringArray(document.scopes_supported);
  if (!scopes || scopes.length === 0) {
    record(
      context,
      'prm.scopes-supported',
      'scopes_supported lists the challenge scopes',
      'warn',
      `scopes_supported is ${document.scopes_supported === undefined ? 'missing' : JSON.stringify(document.scopes_supported)}${challenge.scope ? `; the 401 asks for "${challenge.scope.join(' ')}"` : ''}`,
      WHY_SCOPES,
      'List the scopes your tools need in scopes_supported (keep it minimal; some clients request all of it).',
    );
  } else {
    findings.scopesSupported = scopes;
    const missing = (challenge.scope ?? []).filter((s) => !scopes.includes(s));
    const offline = scopes.includes('offline_access');
    record(
      context,
      'prm.scopes-supported',
      'scopes_supported lists the challenge scopes',
      missing.length ? 'fail' : offline ? 'warn' : 'pass',
      `scopes_supported: ${scopes.join(' ')}${challenge.scope ? `; the 401 asks for "${challenge.scope.join(' ')}"` : ''}${missing.length ? ` — not listed: ${missing.join(' ')}` : ''}${offline ? " — lists offline_access, which is the authorization server's concern, not the resource's" : ''}`,
      WHY_SCOPES,
      missing.length
        ? `Add ${missing.join(' ')} to scopes_supported, or ask for listed scopes in the challenge.`
        : 'Remove offline_access from scopes_supported (MCP 2026-07-28, SEP-2207).',
    );
  }

  const methods = document.bearer_methods_supported;
  const methodList = stringArray(methods);
  if (methods === undefined) {
    record(
      context,
      'prm.bearer-methods',
      'bearer_methods_supported',
      'pass',
      'bearer_methods_supported not listed (optional; ["header"] says it plainly)',
      WHY_BEARER_METHODS,
    );
  } else if (!methodList) {
    record(
      context,
      'prm.bearer-methods',
      'bearer_methods_supported',
      'warn',
      `bearer_methods_supported is ${JSON.stringify(methods)}, not an array of strings`,
      WHY_BEARER_METHODS,
      'Set "bearer_methods_supported": ["header"].',
    );
  } else {
    const query = methodList.includes('query');
    record(
      context,
      'prm.bearer-methods',
      'bearer_methods_supported',
      query || !methodList.includes('header') ? 'warn' : 'pass',
      `bearer_methods_supported: ${JSON.stringify(methodList)}${query ? ' — lists query: tokens in URLs end up in logs and caches' : ''}${!methodList.includes('header') ? ' — does not list header, the only method MCP clients use' : ''}`,
      WHY_BEARER_METHODS,
      'Set "bearer_methods_supported": ["header"] and accept tokens only in the Authorization header.',
    );
  }
  return findings;
}
