import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DevAuthorizationServer,
  driveAuthorization,
  startDevAuthorizationServer,
} from '../src/index.js';
import { authorizationUrl, pkcePair, REDIRECT_URI } from './helpers.js';

// MCP clients put the scopes of their first (least-privilege) request into their registration
// and step up to more later: the registered `scope` must not cap what they may ask for.

describe('a registration scope is not an allow-list', () => {
  let server: DevAuthorizationServer;
  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0, autoApprove: true });
  });
  afterAll(async () => {
    await server.close();
  });

  it('authorizes a step-up beyond the scope the client registered with', async () => {
    const response = await fetch(`${server.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: 'todo:read',
      }),
    });
    expect(response.status).toBe(201);
    const { client_id } = (await response.json()) as { client_id: string };
    const { challenge } = pkcePair();
    const first = await driveAuthorization(
      authorizationUrl(server.issuer, client_id, 'todo:read', challenge),
    );
    expect(first.code).toBeTruthy();
    const stepUp = await driveAuthorization(
      authorizationUrl(server.issuer, client_id, 'todo:read todo:write', challenge),
    );
    expect(stepUp.error).toBeUndefined();
    expect(stepUp.code).toBeTruthy();
  });

  it('still refuses a scope the server does not know', async () => {
    const response = await fetch(`${server.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: 'todo:read files:delete',
      }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client_metadata');
  });
});
