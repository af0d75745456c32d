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

// A refresh token is issued only when the user granted offline_access — not merely because the
// client registered for the refresh_token grant.

describe('refresh tokens follow the offline_access grant (login and consent pages)', () => {
  let server: DevAuthorizationServer;

  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  /** Authorization code + PKCE through the pages, then the token request. */
  async function codeFlow(
    scope: string,
    options: { grantScopes?: string[]; prompt?: string; grantTypes?: string[] } = {},
  ) {
    const client = await registerPublicClient(server.issuer, options.grantTypes);
    const { verifier, challenge } = pkcePair();
    const extra: Record<string, string> = options.prompt ? { prompt: options.prompt } : {};
    const consent = await driveAuthorization(
      authorizationUrl(server.issuer, client.client_id, scope, challenge, extra),
      options.grantScopes ? { grantScopes: options.grantScopes } : {},
    );
    expect(consent.error).toBeUndefined();
    const token = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      code: consent.code ?? '',
      redirect_uri: REDIRECT_URI,
      client_id: client.client_id,
      code_verifier: verifier,
      resource: RESOURCE,
    });
    expect(token.status).toBe(200);
    return { client, consent, token: token.body };
  }

  it('issues none when offline_access was not asked for, even to a refresh_token client', async () => {
    const { consent, token } = await codeFlow('todo:read todo:write');
    expect(consent.consentScopes?.sort()).toEqual(['todo:read', 'todo:write']);
    expect(token.refresh_token).toBeUndefined();
    expect(token.scope?.split(' ').sort()).toEqual(['todo:read', 'todo:write']);
  });

  it('issues one when offline_access was asked for (with prompt=consent) and ticked, and it refreshes', async () => {
    const { client, consent, token } = await codeFlow('todo:read offline_access', {
      prompt: 'consent',
    });
    expect(consent.consentScopes?.sort()).toEqual(['offline_access', 'todo:read']);
    expect(token.refresh_token).toEqual(expect.any(String));
    expect(decode(token.access_token).payload.scope).toBe('todo:read');

    const refreshed = await tokenRequest(server.issuer, {
      grant_type: 'refresh_token',
      refresh_token: token.refresh_token ?? '',
      client_id: client.client_id,
      resource: RESOURCE,
    });
    expect(refreshed.status).toBe(200);
    expect(decode(refreshed.body.access_token).payload.aud).toBe(RESOURCE);
    expect(refreshed.body.refresh_token).toEqual(expect.any(String));
  });

  it('issues none when offline_access was asked for but unticked on the consent page', async () => {
    const { consent, token } = await codeFlow('todo:read offline_access', {
      prompt: 'consent',
      grantScopes: ['todo:read'],
    });
    expect(consent.consentScopes?.sort()).toEqual(['offline_access', 'todo:read']);
    expect(token.refresh_token).toBeUndefined();
    expect(decode(token.access_token).payload.scope).toBe('todo:read');
  });

  it('drops offline_access asked for without prompt=consent (OpenID Connect rule): no refresh token', async () => {
    const { consent, token } = await codeFlow('todo:read offline_access');
    expect(consent.consentScopes).toEqual(['todo:read']);
    expect(token.refresh_token).toBeUndefined();
  });

  it('issues none to a client not registered for the refresh_token grant', async () => {
    const { consent, token } = await codeFlow('todo:read offline_access', {
      prompt: 'consent',
      grantTypes: ['authorization_code'],
    });
    expect(consent.consentScopes).toEqual(['todo:read']);
    expect(token.refresh_token).toBeUndefined();
  });
});
