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

/** A minimal cookie-carrying browser stand-in that submits the HTML forms by hand. */
function browser() {
  const jar = new Map<string, string>();
  const go = async (url: string | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('accept', 'text/html');
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', ...rest] = pair.split('=');
      if (rest.join('=')) jar.set(name, rest.join('='));
      else jar.delete(name);
    }
    return response;
  };
  const submit = (url: string | URL, form: URLSearchParams) =>
    go(url, {
      method: 'POST',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  return { go, submit };
}

const actionOf = (html: string, formId: string, base: string) => {
  const match = new RegExp(`<form[^>]*id="${formId}"[^>]*action="([^"]+)"`).exec(html);
  if (!match?.[1]) throw new Error(`form ${formId} not found`);
  return new URL(match[1], base);
};

describe('login and consent pages', () => {
  let server: DevAuthorizationServer;

  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0, signingAlg: 'ES256' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('signs in with the form, grants a subset of scopes, then asks again only for new scopes', async () => {
    const client = await registerPublicClient(server.issuer);
    const b = browser();
    const first = pkcePair();
    let response = await b.go(
      authorizationUrl(server.issuer, client.client_id, 'todo:read todo:write', first.challenge),
    );
    expect(response.status).toBe(303);
    response = await b.go(new URL(response.headers.get('location')!, server.issuer));
    let html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain('Development authorization server — not for production');
    expect(html).toContain('name="username"');
    expect(html).toContain('name="password"');
    expect(html).toContain('id="login"');

    // Wrong password: the form comes back with an error, no redirect.
    response = await b.submit(
      actionOf(html, 'login-form', server.issuer),
      new URLSearchParams({ username: 'alice', password: 'nope' }),
    );
    expect(response.status).toBe(401);
    html = await response.text();
    expect(html).toContain('id="error"');

    response = await b.submit(
      actionOf(html, 'login-form', server.issuer),
      new URLSearchParams({ username: 'alice', password: 'alice' }),
    );
    expect(response.status).toBe(303);
    response = await b.go(new URL(response.headers.get('location')!, server.issuer));
    expect(response.status).toBe(303);
    response = await b.go(new URL(response.headers.get('location')!, server.issuer));
    html = await response.text();
    expect(html).toContain('id="approve"');
    expect(html).toContain('id="deny"');
    expect(html).toContain('name="scope" value="todo:read" checked');
    expect(html).toContain('name="scope" value="todo:write" checked');
    expect(html).toContain(RESOURCE);

    const consent = new URLSearchParams({ decision: 'approve' });
    consent.append('scope', 'todo:read');
    response = await b.submit(actionOf(html, 'consent-form', server.issuer), consent);
    expect(response.status).toBe(303);
    response = await b.go(new URL(response.headers.get('location')!, server.issuer));
    expect(response.status).toBe(303);
    const callback = new URL(response.headers.get('location')!);
    expect(callback.href.startsWith(REDIRECT_URI)).toBe(true);
    const code = callback.searchParams.get('code')!;

    const { body } = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: client.client_id,
      code_verifier: first.verifier,
      resource: RESOURCE,
    });
    const { header, payload } = decode(body.access_token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(payload).toMatchObject({
      iss: server.issuer,
      aud: RESOURCE,
      sub: 'alice',
      client_id: client.client_id,
      scope: 'todo:read',
    });

    // Step-up in the same browser session: no login, consent lists only what is new
    // (todo:write, declined before, is asked again), todo:read shows as already granted.
    const second = pkcePair();
    response = await b.go(
      authorizationUrl(
        server.issuer,
        client.client_id,
        'todo:read todo:write calendar:read',
        second.challenge,
      ),
    );
    response = await b.go(new URL(response.headers.get('location')!, server.issuer));
    html = await response.text();
    expect(html).toContain('id="consent-form"');
    expect(html).not.toContain('name="scope" value="todo:read"');
    expect(html).toContain('name="scope" value="todo:write" checked');
    expect(html).toContain('name="scope" value="calendar:read" checked');
    expect(html).toMatch(/id="granted-scopes">.*todo:read/);

    const more = new URLSearchParams({ decision: 'approve' });
    more.append('scope', 'todo:write');
    response = await b.submit(actionOf(html, 'consent-form', server.issuer), more);
    response = await b.go(new URL(response.headers.get('location')!, server.issuer));
    const stepped = new URL(response.headers.get('location')!);
    const token = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      code: stepped.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: client.client_id,
      code_verifier: second.verifier,
      resource: RESOURCE,
    });
    expect(token.status).toBe(200);
    expect((decode(token.body.access_token).payload.scope as string).split(' ').sort()).toEqual([
      'todo:read',
      'todo:write',
    ]);
  });

  it('Deny sends access_denied back to the client', async () => {
    const client = await registerPublicClient(server.issuer);
    const result = await driveAuthorization(
      authorizationUrl(server.issuer, client.client_id, 'todo:read', pkcePair().challenge),
      { username: 'bob', deny: true },
    );
    expect(result.consentScopes).toEqual(['todo:read']);
    expect(result.code).toBeUndefined();
    expect(result.error).toBe('access_denied');
    expect(result.state).toBe('state-123');
  });

  it('approving with every scope unticked ends with access_denied', async () => {
    const client = await registerPublicClient(server.issuer);
    const result = await driveAuthorization(
      authorizationUrl(
        server.issuer,
        client.client_id,
        'todo:read todo:write',
        pkcePair().challenge,
      ),
      { grantScopes: [] },
    );
    expect(result.consentScopes).toEqual(['todo:read', 'todo:write']);
    expect(result.code).toBeUndefined();
    expect(result.error).toBe('access_denied');
    expect(result.errorDescription).toMatch(/none of the requested scopes/);
  });

  it('driveAuthorization signs in another user and grants the chosen subset', async () => {
    const client = await registerPublicClient(server.issuer);
    const { verifier, challenge } = pkcePair();
    const result = await driveAuthorization(
      authorizationUrl(server.issuer, client.client_id, 'calendar:read calendar:write', challenge),
      { username: 'bob', grantScopes: ['calendar:write'] },
    );
    expect(result.consentScopes).toEqual(['calendar:read', 'calendar:write']);
    const { body } = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      code: result.code!,
      redirect_uri: REDIRECT_URI,
      client_id: client.client_id,
      code_verifier: verifier,
      resource: RESOURCE,
    });
    expect(decode(body.access_token).payload).toMatchObject({
      sub: 'bob',
      scope: 'calendar:write',
    });
  });

  it('driveAuthorization reports rejected credentials', async () => {
    const client = await registerPublicClient(server.issuer);
    await expect(
      driveAuthorization(
        authorizationUrl(server.issuer, client.client_id, 'todo:read', pkcePair().challenge),
        { username: 'alice', password: 'wrong' },
      ),
    ).rejects.toThrow(/rejected the credentials/);
  });

  it('shows errors as a plain page without stack traces', async () => {
    const response = await fetch(`${server.issuer}/auth?client_id=nope&response_type=code`, {
      headers: { accept: 'text/html' },
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('invalid_client');
    expect(html).toContain('not for production');
    expect(html).not.toMatch(/\bat .*\.js:\d+/);

    const stale = await fetch(`${server.issuer}/interaction/does-not-exist`, {
      headers: { accept: 'text/html' },
    });
    expect(stale.status).toBe(400);
    const page = await stale.text();
    expect(page).toContain('expired');
    expect(page).not.toMatch(/\bat .*\.js:\d+/);

    const json = await fetch(`${server.issuer}/interaction/abc/login`, { method: 'POST' });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('serves a home page that says it is for development only', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('not for production');
    expect(html).toContain(server.issuer);
  });
});
