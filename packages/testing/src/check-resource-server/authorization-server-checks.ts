import type { JSONWebKeySet } from 'jose';
import {
  type CheckContext,
  excerpt,
  parseJsonObject,
  record,
  send,
  stringArray,
  tryUrl,
} from './http.js';

/** What the checks learned about one authorization server. */
export interface AuthorizationServerFindings {
  /** The URL as `authorization_servers` lists it. */
  url: string;
  metadata?: Record<string, unknown>;
  /** The published key set, when it parsed. */
  jwks?: JSONWebKeySet;
}

const WHY_METADATA =
  'MCP 2025-11-25 Authorization ("Authorization Server Metadata Discovery"): clients MUST try RFC 8414 metadata and OpenID Connect Discovery 1.0 — for an issuer with a path: /.well-known/oauth-authorization-server/<path>, /.well-known/openid-configuration/<path>, <path>/.well-known/openid-configuration; without a path: /.well-known/oauth-authorization-server, then /.well-known/openid-configuration.';
const WHY_ISSUER =
  "RFC 8414 §3.3 (and OpenID Connect Discovery §4.3): the issuer in the metadata MUST be identical to the issuer identifier the metadata was fetched for; clients that check it (RFC 9207, MCP 2026-07-28) refuse a mismatch, and tokens' iss must carry the same string.";
const WHY_PKCE =
  'RFC 7636 and MCP 2025-11-25 Authorization ("Authorization Code Protection"): clients MUST use PKCE with S256 and MUST refuse to proceed when code_challenge_methods_supported is absent from the metadata.';
const WHY_REGISTRATION =
  'MCP 2025-11-25 Authorization ("Client Registration Approaches"): a client without a pre-registered client id uses a Client ID Metadata Document (client_id_metadata_document_supported) or Dynamic Client Registration (RFC 7591, registration_endpoint).';
const WHY_JWKS =
  "RFC 8414 §2 (jwks_uri) and RFC 9068 §4: a resource server verifies JWT access tokens with the authorization server's published signing keys.";

/** The discovery URLs in the order the MCP specification lists them. */
export function discoveryUrls(issuer: URL): { url: string; kind: string }[] {
  const path = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/$/, '');
  if (!path) {
    return [
      { url: `${issuer.origin}/.well-known/oauth-authorization-server`, kind: 'RFC 8414' },
      { url: `${issuer.origin}/.well-known/openid-configuration`, kind: 'OpenID discovery' },
    ];
  }
  return [
    { url: `${issuer.origin}/.well-known/oauth-authorization-server${path}`, kind: 'RFC 8414' },
    { url: `${issuer.origin}/.well-known/openid-configuration${path}`, kind: 'OpenID discovery' },
    { url: `${issuer.origin}${path}/.well-known/openid-configuration`, kind: 'OpenID discovery' },
  ];
}

const SIGNING_KTY: Record<string, string[]> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
};

/** One authorization server: discovery, issuer, PKCE, registration, JWKS. */
export async function checkAuthorizationServer(
  context: CheckContext,
  serverUrl: string,
  index: number,
): Promise<AuthorizationServerFindings> {
  const findings: AuthorizationServerFindings = { url: serverUrl };
  const suffix = index === 0 ? '' : `#${index + 1}`;
  const id = (name: string) => `as.${name}${suffix}`;
  const later = [
    [id('issuer'), 'issuer equals the authorization server URL', WHY_ISSUER],
    [id('pkce'), 'PKCE with S256', WHY_PKCE],
    [id('registration'), 'a way for clients to register', WHY_REGISTRATION],
    [id('jwks'), 'jwks_uri serves signing keys', WHY_JWKS],
  ] as const;
  const skip = (reason: string) => {
    for (const [checkId, title, why] of later) record(context, checkId, title, 'skip', reason, why);
  };

  const issuerUrl = tryUrl(serverUrl);
  if (!issuerUrl) {
    record(
      context,
      id('metadata'),
      `metadata of ${serverUrl}`,
      'fail',
      `"${serverUrl}" is not an absolute URL`,
      WHY_METADATA,
    );
    skip('no usable authorization server URL');
    return findings;
  }
  const tried: string[] = [];
  let found: { url: string; kind: string } | undefined;
  for (const candidate of discoveryUrls(issuerUrl)) {
    const result = await send(context, candidate.url, { headers: { accept: 'application/json' } });
    if (!result.ok) {
      tried.push(`${candidate.url}: ${result.error}`);
      continue;
    }
    const document = result.answer.status === 200 ? parseJsonObject(result.answer.text) : undefined;
    if (!document) {
      tried.push(
        `${candidate.url}: ${result.answer.status === 200 ? `200 but not JSON: ${excerpt(result.answer.text)}` : result.answer.status}`,
      );
      continue;
    }
    tried.push(`${candidate.url}: 200 JSON`);
    found = candidate;
    findings.metadata = document;
    break;
  }
  if (!found || !findings.metadata) {
    record(
      context,
      id('metadata'),
      `metadata of ${serverUrl}`,
      'fail',
      `no metadata document: ${tried.join('; ')}`,
      WHY_METADATA,
      `Serve RFC 8414 metadata at ${discoveryUrls(issuerUrl)[0]!.url} (or OpenID discovery), or list the authorization server's exact issuer in authorization_servers.`,
    );
    skip('no authorization server metadata');
    return findings;
  }
  record(
    context,
    id('metadata'),
    `metadata of ${serverUrl}`,
    'pass',
    `${found.kind} at ${found.url} (tried: ${tried.join('; ')})`,
    WHY_METADATA,
  );
  const metadata = findings.metadata;

  const issuer = metadata.issuer;
  if (typeof issuer !== 'string') {
    record(
      context,
      id('issuer'),
      'issuer equals the authorization server URL',
      'fail',
      `issuer is ${issuer === undefined ? 'missing' : JSON.stringify(issuer)}`,
      WHY_ISSUER,
      `Set "issuer": "${serverUrl}".`,
    );
  } else if (issuer === serverUrl) {
    const slash = issuerUrl.pathname === '/' && serverUrl.endsWith('/');
    record(
      context,
      id('issuer'),
      'issuer equals the authorization server URL',
      slash ? 'warn' : 'pass',
      `issuer "${issuer}"${slash ? ' — ends with a trailing slash: tokens must carry it in iss exactly, and libraries that strip it disagree' : ''}`,
      WHY_ISSUER,
      'Prefer an issuer without a trailing slash, the same string everywhere (metadata, authorization_servers, tokens).',
    );
  } else {
    const slashOnly = issuer.replace(/\/$/, '') === serverUrl.replace(/\/$/, '');
    record(
      context,
      id('issuer'),
      'issuer equals the authorization server URL',
      'fail',
      slashOnly
        ? `issuer "${issuer}", authorization_servers lists "${serverUrl}" — they differ only by a trailing slash`
        : `issuer "${issuer}", authorization_servers lists "${serverUrl}"`,
      WHY_ISSUER,
      slashOnly
        ? `Use one spelling: list "${issuer}" in authorization_servers, or make the issuer "${serverUrl}" (the trailing slash matters: comparison is exact).`
        : `List "${issuer}" in authorization_servers (and accept it as iss), or fix the issuer.`,
    );
  }

  const methods = stringArray(metadata.code_challenge_methods_supported);
  record(
    context,
    id('pkce'),
    'PKCE with S256',
    methods?.includes('S256') ? 'pass' : 'fail',
    metadata.code_challenge_methods_supported === undefined
      ? 'code_challenge_methods_supported is absent: MCP clients must refuse to authorize'
      : `code_challenge_methods_supported: ${JSON.stringify(metadata.code_challenge_methods_supported)}`,
    WHY_PKCE,
    'Enable PKCE with S256 at the authorization server and publish "code_challenge_methods_supported": ["S256"].',
  );

  const cimd = metadata.client_id_metadata_document_supported === true;
  const dcr = typeof metadata.registration_endpoint === 'string';
  const ways = [
    ...(cimd ? ['Client ID Metadata Documents'] : []),
    ...(dcr ? [`dynamic registration at ${metadata.registration_endpoint}`] : []),
  ];
  record(
    context,
    id('registration'),
    'a way for clients to register',
    ways.length ? 'pass' : 'warn',
    ways.length
      ? ways.join(' and ')
      : 'neither client_id_metadata_document_supported nor registration_endpoint: clients need a pre-registered client id',
    WHY_REGISTRATION,
    'Enable Client ID Metadata Documents or dynamic client registration, or document the client id users must configure.',
  );

  const jwksUri = metadata.jwks_uri;
  if (typeof jwksUri !== 'string' || !tryUrl(jwksUri)) {
    record(
      context,
      id('jwks'),
      'jwks_uri serves signing keys',
      'fail',
      `jwks_uri is ${jwksUri === undefined ? 'missing' : JSON.stringify(jwksUri)}`,
      WHY_JWKS,
      'Publish the signing keys and name them in jwks_uri (opaque-token servers introspect instead: RFC 7662).',
    );
    return findings;
  }
  const result = await send(context, jwksUri, { headers: { accept: 'application/json' } });
  const problem = !result.ok
    ? result.error
    : result.answer.status !== 200
      ? `answered ${result.answer.status}`
      : undefined;
  const set = result.ok && !problem ? parseJsonObject(result.answer.text) : undefined;
  const keys = Array.isArray(set?.keys) ? (set.keys as unknown[]) : undefined;
  if (problem || !keys) {
    record(
      context,
      id('jwks'),
      'jwks_uri serves signing keys',
      'fail',
      `GET ${jwksUri}: ${problem ?? `not a JWK Set: ${excerpt(result.ok ? result.answer.text : '')}`}`,
      WHY_JWKS,
      'Make jwks_uri reachable from the resource server and serve {"keys": [...]} with the public signing keys.',
    );
    return findings;
  }
  const signing: string[] = [];
  const privateKeys: string[] = [];
  for (const key of keys) {
    if (key === null || typeof key !== 'object') continue;
    const jwk = key as Record<string, unknown>;
    const needed = typeof jwk.kty === 'string' ? SIGNING_KTY[jwk.kty] : undefined;
    if (!needed?.every((member) => typeof jwk[member] === 'string')) continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    const label = `${String(jwk.kty)}${typeof jwk.alg === 'string' ? ` ${jwk.alg}` : ''}${typeof jwk.kid === 'string' ? ` (kid ${jwk.kid.slice(0, 16)})` : ''}`;
    if (jwk.d !== undefined) privateKeys.push(label);
    signing.push(label);
  }
  if (privateKeys.length) {
    record(
      context,
      id('jwks'),
      'jwks_uri serves signing keys',
      'fail',
      `GET ${jwksUri}: the JWK Set publishes private key material (${privateKeys.join(', ')})`,
      WHY_JWKS,
      'Publish only public keys; rotate the exposed keys now.',
    );
    return findings;
  }
  findings.jwks = { keys: keys as JSONWebKeySet['keys'] };
  record(
    context,
    id('jwks'),
    'jwks_uri serves signing keys',
    signing.length ? 'pass' : 'fail',
    `GET ${jwksUri}: ${keys.length} key(s), ${signing.length} usable for signatures${signing.length ? `: ${signing.join(', ')}` : ''}`,
    WHY_JWKS,
    'Publish at least one public signing key (RSA, EC or OKP; use "sig" or no use).',
  );
  return findings;
}
