import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
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

async function registerMachineClient(issuer: string) {
  const response = await fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { client_id: string; client_secret: string };
}

async function machineToken(issuer: string, client: { client_id: string; client_secret: string }) {
  const { status, body } = await tokenRequest(issuer, {
    grant_type: 'client_credentials',
    client_id: client.client_id,
    client_secret: client.client_secret,
    scope: 'todo:read calendar:read',
    resource: RESOURCE,
  });
  expect(status).toBe(200);
  return body.access_token;
}

async function jwks(server: DevAuthorizationServer): Promise<JSONWebKeySet> {
  const response = await fetch(server.jwksUri);
  expect(response.status).toBe(200);
  return (await response.json()) as JSONWebKeySet;
}

describe('client_credentials grant', () => {
  let server: DevAuthorizationServer;
  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0, accessTokenTtl: 120 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('issues a JWT for the resource with the requested scopes, sub = client_id', async () => {
    const client = await registerMachineClient(server.issuer);
    const token = await machineToken(server.issuer, client);
    const { header, payload } = decode(token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(payload).toMatchObject({
      iss: server.issuer,
      aud: RESOURCE,
      client_id: client.client_id,
      sub: client.client_id,
      scope: 'todo:read calendar:read',
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(120);
  });

  it('refuses a bad client secret', async () => {
    const client = await registerMachineClient(server.issuer);
    const { status, body } = await tokenRequest(server.issuer, {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: 'wrong',
      resource: RESOURCE,
    });
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(JSON.stringify(body)).not.toMatch(/\.js:\d+/);
  });
});

describe('dynamic client registration', () => {
  let server: DevAuthorizationServer;
  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('registers a public client with loopback redirect URIs and answers CORS preflight', async () => {
    const preflight = await fetch(`${server.issuer}/reg`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');

    const response = await fetch(`${server.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:6274' },
      body: JSON.stringify({
        client_name: 'Inspector',
        redirect_uris: ['http://localhost:6274/oauth/callback', 'http://127.0.0.1:33418/'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: 'todo:read todo:write',
      }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
    const client = (await response.json()) as Record<string, unknown>;
    expect(client.client_id).toEqual(expect.any(String));
    expect(client.client_secret).toBeUndefined();
    expect(client.token_endpoint_auth_method).toBe('none');
    expect(client.redirect_uris).toEqual([
      'http://localhost:6274/oauth/callback',
      'http://127.0.0.1:33418/',
    ]);
  });

  it('refuses invalid metadata with a JSON error', async () => {
    const response = await fetch(`${server.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['not a url'] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_redirect_uri' });
  });
});

describe('signing-key rotation', () => {
  let server: DevAuthorizationServer;
  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0, keyGraceSeconds: 1 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('signs with the new key, keeps the old one published for the grace period, then drops it', async () => {
    const client = await registerMachineClient(server.issuer);
    const before = await machineToken(server.issuer, client);
    const oldKid = decode(before).header.kid;
    expect((await jwks(server)).keys.map((k) => k.kid)).toEqual([oldKid]);

    const { newKid, retiredKid } = await server.rotateKeys();
    expect(retiredKid).toBe(oldKid);
    expect(newKid).not.toBe(oldKid);

    const set = await jwks(server);
    expect(set.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    for (const key of set.keys) expect(key).not.toHaveProperty('d');

    // The client registered before the rotation still works, and new tokens use the new key.
    const after = await machineToken(server.issuer, client);
    expect(decode(after).header.kid).toBe(newKid);

    // Both tokens verify against the published key set during the grace period.
    const local = createLocalJWKSet(set);
    await expect(jwtVerify(before, local, { issuer: server.issuer })).resolves.toBeTruthy();
    await expect(jwtVerify(after, local, { issuer: server.issuer })).resolves.toBeTruthy();

    // After the grace period the retired key is gone.
    let kids: (string | undefined)[] = [];
    for (let attempt = 0; attempt < 40; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      kids = (await jwks(server)).keys.map((k) => k.kid);
      if (kids.length === 1) break;
    }
    expect(kids).toEqual([newKid]);
    expect(server.publishedKids()).toEqual([newKid]);
  });

  it('rotates through POST /dev/rotate-keys on loopback, and refuses GET', async () => {
    const kidBefore = server.publishedKids()[0];
    const get = await fetch(`${server.url}/dev/rotate-keys`);
    expect(get.status).toBe(405);
    const response = await fetch(`${server.url}/dev/rotate-keys`, { method: 'POST' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      newKid: string;
      retiredKid: string;
      graceSeconds: number;
    };
    expect(body.retiredKid).toBe(kidBefore);
    expect(body.graceSeconds).toBe(1);
    expect((await jwks(server)).keys[0]?.kid).toBe(body.newKid);
  });
});

describe('state across a rotation', () => {
  let server: DevAuthorizationServer;
  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0, autoApprove: true });
  });
  afterAll(async () => {
    await server.close();
  });

  it('redeems codes and refresh tokens issued before the rotation, signing with the new key', async () => {
    const client = await registerPublicClient(server.issuer);
    const { verifier, challenge } = pkcePair();
    const { code } = await driveAuthorization(
      authorizationUrl(server.issuer, client.client_id, 'todo:read offline_access', challenge, {
        prompt: 'consent',
      }),
    );
    const { newKid } = await server.rotateKeys();
    const exchanged = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      code: code!,
      redirect_uri: REDIRECT_URI,
      client_id: client.client_id,
      code_verifier: verifier,
      resource: RESOURCE,
    });
    expect(exchanged.status).toBe(200);
    expect(decode(exchanged.body.access_token).header.kid).toBe(newKid);

    const { newKid: newerKid } = await server.rotateKeys();
    const refreshed = await tokenRequest(server.issuer, {
      grant_type: 'refresh_token',
      refresh_token: exchanged.body.refresh_token!,
      client_id: client.client_id,
      resource: RESOURCE,
    });
    expect(refreshed.status).toBe(200);
    const { header, payload } = decode(refreshed.body.access_token);
    expect(header.kid).toBe(newerKid);
    expect(payload).toMatchObject({ sub: 'alice', aud: RESOURCE, scope: 'todo:read' });
    expect(server.publishedKids()).toHaveLength(3);
  });
});
