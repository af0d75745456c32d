import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';

export const RESOURCE = 'http://127.0.0.1:3001/mcp';
export const REDIRECT_URI = 'http://127.0.0.1:8976/callback';

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
}

export async function registerPublicClient(
  issuer: string,
  grantTypes: string[] = ['authorization_code', 'refresh_token'],
): Promise<RegisteredClient> {
  const response = await fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'test client',
      redirect_uris: [REDIRECT_URI],
      grant_types: grantTypes,
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  if (response.status !== 201) throw new Error(`registration failed: ${await response.text()}`);
  return (await response.json()) as RegisteredClient;
}

export function authorizationUrl(
  issuer: string,
  clientId: string,
  scope: string,
  challenge: string,
  extra: Record<string, string> = {},
): URL {
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope,
    resource: RESOURCE,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'state-123',
    ...extra,
  }).toString();
  return url;
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  scope?: string;
  expires_in: number;
}

export async function tokenRequest(
  issuer: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: TokenResponse & { error?: string } }> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return {
    status: response.status,
    body: (await response.json()) as TokenResponse & { error?: string },
  };
}

export function decode(token: string) {
  return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
}
