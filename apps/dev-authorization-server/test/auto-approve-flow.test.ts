import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DevAuthorizationServer,
  driveAuthorization,
  startDevAuthorizationServer,
} from '../src/index.js';
import {
  authorizationUrl,
  decode,
  pkcePair,
  REDIRECT_URI,
  RESOURCE,
  registerPublicClient,
  tokenRequest,
} from './helpers.js';

describe('auto-approve mode: authorization code + PKCE with a resource indicator', () => {
  let server: DevAuthorizationServer;

  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0, autoApprove: { username: 'bob' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves RFC 8414 metadata and OIDC discovery with the resource scopes', async () => {
    const response = await fetch(`${server.issuer}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(server.issuer);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.registration_endpoint).toBe(`${server.issuer}/reg`);
    expect(metadata.jwks_uri).toBe(server.jwksUri);
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    );
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['todo:read', 'todo:write', 'calendar:read', 'calendar:write']),
    );
    const oidc = await fetch(`${server.issuer}/.well-known/openid-configuration`);
    expect(((await oidc.json()) as { issuer: string }).issuer).toBe(server.issuer);
  });

  it('issues an at+jwt access token for the requested resource and a working refresh token', async () => {
    const client = await registerPublicClient(server.issuer);
    const { verifier, challenge } = pkcePair();
    const result = await driveAuthorization(
      authorizationUrl(
        server.issuer,
        client.client_id,
        'todo:read todo:write offline_access',
        challenge,
        { prompt: 'consent' },
      ),
    );
    expect(result.consentScopes).toBeUndefined();
    expect(result.redirectUrl.href.startsWith(REDIRECT_URI)).toBe(true);
    expect(result.state).toBe('state-123');
    expect(result.code).toBeTruthy();

    const { status, body } = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      code: result.code!,
      redirect_uri: REDIRECT_URI,
      client_id: client.client_id,
      code_verifier: verifier,
      resource: RESOURCE,
    });
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    const { header, payload } = decode(body.access_token);
    expect(header.typ).toBe('at+jwt');
    expect(header.alg).toBe('RS256');
    expect(header.kid).toBe(server.publishedKids()[0]);
    expect(payload.iss).toBe(server.issuer);
    expect(payload.aud).toBe(RESOURCE);
    expect(payload.sub).toBe('bob');
    expect(payload.client_id).toBe(client.client_id);
    expect((payload.scope as string).split(' ').sort()).toEqual(['todo:read', 'todo:write']);

    const jwks = createRemoteJWKSet(new URL(server.jwksUri));
    const verified = await jwtVerify(body.access_token, jwks, {
      issuer: server.issuer,
      audience: RESOURCE,
      typ: 'at+jwt',
    });
    expect(verified.payload.sub).toBe('bob');

    expect(body.refresh_token).toBeTruthy();
    const refreshed = await tokenRequest(server.issuer, {
      grant_type: 'refresh_token',
      refresh_token: body.refresh_token!,
      client_id: client.client_id,
      resource: RESOURCE,
    });
    expect(refreshed.status).toBe(200);
    const again = decode(refreshed.body.access_token).payload;
    expect(again.aud).toBe(RESOURCE);
    expect(again.sub).toBe('bob');
    expect((again.scope as string).split(' ').sort()).toEqual(['todo:read', 'todo:write']);
    // Public clients get rotating refresh tokens: the old one is spent.
    expect(refreshed.body.refresh_token).toBeTruthy();
    expect(refreshed.body.refresh_token).not.toBe(body.refresh_token);
    const reuse = await tokenRequest(server.issuer, {
      grant_type: 'refresh_token',
      refresh_token: body.refresh_token!,
      client_id: client.client_id,
    });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
  });

  it('accepts any loopback resource string exactly as sent', async () => {
    const client = await registerPublicClient(server.issuer);
    const resource = 'http://localhost:4567/some/mcp';
    const { verifier, challenge } = pkcePair();
    const { code } = await driveAuthorization(
      authorizationUrl(server.issuer, client.client_id, 'calendar:read', challenge, { resource }),
    );
    const { body } = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      code: code!,
      redirect_uri: REDIRECT_URI,
      client_id: client.client_id,
      code_verifier: verifier,
      resource,
    });
    const { payload } = decode(body.access_token);
    expect(payload.aud).toBe(resource);
    expect(payload.scope).toBe('calendar:read');
  });

  it('refuses a resource that is not on a loopback host', async () => {
    const client = await registerPublicClient(server.issuer);
    const { challenge } = pkcePair();
    const result = await driveAuthorization(
      authorizationUrl(server.issuer, client.client_id, 'todo:read', challenge, {
        resource: 'https://api.example.com/mcp',
      }),
    );
    expect(result.code).toBeUndefined();
    expect(result.error).toBe('invalid_target');
  });

  it('refuses the plain PKCE method and a missing code challenge', async () => {
    const client = await registerPublicClient(server.issuer);
    const plain = await driveAuthorization(
      authorizationUrl(server.issuer, client.client_id, 'todo:read', 'a'.repeat(43), {
        code_challenge_method: 'plain',
      }),
    );
    expect(plain.code).toBeUndefined();
    expect(plain.error).toBe('invalid_request');
    expect(plain.errorDescription).toMatch(/code_challenge_method/);

    const url = authorizationUrl(server.issuer, client.client_id, 'todo:read', 'x');
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const missing = await driveAuthorization(url);
    expect(missing.error).toBe('invalid_request');
  });

  it('rejects a wrong code_verifier at the token endpoint', async () => {
    const client = await registerPublicClient(server.issuer);
    const { challenge } = pkcePair();
    const { code } = await driveAuthorization(
      authorizationUrl(server.issuer, client.client_id, 'todo:read', challenge),
    );
    const { status, body } = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      code: code!,
      redirect_uri: REDIRECT_URI,
      client_id: client.client_id,
      code_verifier: pkcePair().verifier,
      resource: RESOURCE,
    });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });
});
