/**
 * The sample-app contract over HTTP: a sample started in-process against a real test issuer
 * (RS256 and ES256 keys served over HTTP), driven with `fetch` and the SDK's client.
 */
import { startTestIssuer } from '@org/mcp-auth-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFixture, type HttpHelpers, httpHelpers } from './sample-http-fixture.js';
import {
  ALL_SCOPES,
  bearer,
  challengeParams,
  INITIALIZE,
  type SampleUnderTest,
  toolCall,
} from './sample-kit.js';

/** Challenges, metadata and token checks (RFC 6750 §3, RFC 9728). */
function registerChallengeTests(f: HttpFixture, { token, request, connect }: HttpHelpers): void {
  it('answers every method without a token with 401 and a Bearer challenge', async () => {
    const { server } = f;
    for (const method of ['POST', 'GET', 'DELETE']) {
      const response = await request(method, method === 'POST' ? { body: INITIALIZE } : {});
      expect(response.status, method).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const params = challengeParams(response.headers.get('www-authenticate'));
      expect(params.resource_metadata).toBe(
        `${new URL(server.resourceUrl).origin}/.well-known/oauth-protected-resource/mcp`,
      );
      expect(params.error).toBeUndefined();
    }
    const scoped = await request('POST', { body: toolCall('list_todos') });
    expect(scoped.status).toBe(401);
    expect(challengeParams(scoped.headers.get('www-authenticate')).scope).toBe('todo:read');
  });

  it('serves the Protected Resource Metadata at the path-inserted and root locations', async () => {
    const { server, issuer } = f;
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      const document = await response.json();
      expect(document).toMatchObject({
        resource: server.resourceUrl,
        authorization_servers: [issuer.issuer],
        scopes_supported: ['todo:read', 'todo:write', 'calendar:read', 'calendar:write'],
        bearer_methods_supported: ['header'],
      });
      expect(document.resource_name).toEqual(expect.any(String));
    }
    expect((await fetch(`${server.url}/.well-known/oauth-protected-resource/other`)).status).toBe(
      404,
    );
  });

  it('answers a token without the tool scope with 403 insufficient_scope naming the step-up', async () => {
    const readOnly = await token('carol', 'todo:read');
    const response = await request('POST', {
      body: toolCall('add_todo', { title: 'x' }),
      headers: bearer(readOnly),
    });
    expect(response.status).toBe(403);
    const params = challengeParams(response.headers.get('www-authenticate'));
    expect(params.error).toBe('insufficient_scope');
    expect(params.scope?.split(' ')).toEqual(['todo:write', 'todo:read']);
    expect(params.resource_metadata).toContain('/.well-known/oauth-protected-resource/mcp');
    expect((await response.json()).error).toBe('insufficient_scope');

    const carol = await connect(readOnly);
    await expect(
      carol.client.callTool({ name: 'create_event', arguments: { title: 'x', start: 'now' } }),
    ).rejects.toMatchObject({ code: 403 });
    expect((await carol.call('whoami')).subject).toBe('carol');
    await carol.client.close();
  });

  it('rejects tokens of the wrong type, audience or signature with 401 invalid_token', async () => {
    const { server, issuer } = f;
    const wrong = [
      await issuer.mintAccessToken({
        claims: { sub: 'a', aud: server.resourceUrl },
        header: { typ: 'JWT' },
      }),
      await issuer.mintAccessToken({ claims: { sub: 'a', aud: 'http://127.0.0.1:1/other' } }),
      `${await token('a', 'todo:read')}x`,
    ];
    for (const value of wrong) {
      const response = await request('POST', { body: INITIALIZE, headers: bearer(value) });
      expect(response.status).toBe(401);
      expect(challengeParams(response.headers.get('www-authenticate')).error).toBe('invalid_token');
    }
    const malformed = await request('POST', {
      body: INITIALIZE,
      headers: { authorization: 'Bearer a b' },
    });
    expect(malformed.status).toBe(400);
  });
}

/** The tools, per-subject data and key rotation. */
function registerToolTests(f: HttpFixture, { token, connect }: HttpHelpers): void {
  it('runs each tool with its scope, RS256 and ES256, keeping data per subject', async () => {
    const alice = await connect(await token('alice', ALL_SCOPES, 'ES256'));
    const { tools } = await alice.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'add_todo',
      'create_event',
      'list_events',
      'list_todos',
      'whoami',
    ]);
    expect(await alice.call('whoami')).toMatchObject({
      subject: 'alice',
      scopes: ALL_SCOPES.split(' '),
    });
    const { todo } = await alice.call('add_todo', { title: 'Buy milk' });
    expect(todo).toMatchObject({ title: 'Buy milk', done: false });
    expect((await alice.call('list_todos')).todos).toEqual([todo]);
    const { event } = await alice.call('create_event', {
      title: 'Stand-up',
      start: '2026-12-01T09:00:00Z',
    });
    expect(event).toMatchObject({ title: 'Stand-up', start: '2026-12-01T09:00:00Z' });
    expect((await alice.call('list_events')).events).toEqual([event]);

    const bob = await connect(await token('bob', 'todo:read calendar:read', 'RS256'));
    expect(await bob.call('list_todos')).toEqual({ todos: [] });
    expect(await bob.call('list_events')).toEqual({ events: [] });
    expect(await bob.call('whoami')).toMatchObject({ subject: 'bob' });
    await alice.client.close();
    await bob.client.close();
  });

  it('picks up a rotated signing key without a restart', async () => {
    const { issuer } = f;
    const before = await connect(await token('dave', 'todo:read'));
    await before.call('whoami');
    await issuer.rotateKeys({ keepOld: false });
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the sample's JWKS cooldown
    const after = await connect(await token('dave', 'todo:read'));
    expect((await after.call('whoami')).subject).toBe('dave');
    await before.client.close();
    await after.client.close();
  });
}

/** Origins, malformed bodies and unknown routes: JSON answers, never HTML. */
function registerBoundaryTests(f: HttpFixture, { token, request }: HttpHelpers): void {
  it('refuses foreign Origins with 403 JSON and lets localhost and configured ones through', async () => {
    const valid = await token('erin', 'todo:read');
    const refused = await request('POST', {
      body: INITIALIZE,
      headers: { origin: 'https://evil.example', ...bearer(valid) },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await refused.json()).toMatchObject({ error: 'invalid_origin' });
    const preflight = await request('OPTIONS', { headers: { origin: 'https://evil.example' } });
    expect(preflight.status).toBe(403);

    for (const origin of [
      'http://localhost:6274',
      'http://127.0.0.1:5173',
      'http://[::1]:8080',
      'https://app.example',
    ]) {
      const response = await request('POST', { body: INITIALIZE, headers: { origin } });
      expect(response.status, origin).toBe(401);
    }
    const allowed = await request('POST', {
      body: INITIALIZE,
      headers: { origin: 'http://localhost:6274', ...bearer(valid) },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-expose-headers')).toContain('Mcp-Session-Id');
  });

  it('answers malformed bodies and unknown routes with JSON, never HTML', async () => {
    const { server } = f;
    const valid = await token('frank', 'todo:read');
    const malformed = '{"jsonrpc": "2.0", "id": 1,';
    const parseError = await request('POST', { body: malformed, headers: bearer(valid) });
    expect(parseError.status).toBe(400);
    expect(parseError.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await parseError.json()).error.code).toBe(-32700);
    // Without a token the answer is the challenge, whatever the body holds.
    const noToken = await request('POST', { body: malformed, headers: {} });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('content-type')).toMatch(/^application\/json/);
    expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="/);
    expect(await noToken.json()).toMatchObject({ error: 'missing_credentials' });
    const notJson = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        accept: 'application/json, text/event-stream',
        ...bearer(valid),
      },
      body: '<html>',
    });
    expect(notJson.status).toBeGreaterThanOrEqual(400);
    expect(notJson.headers.get('content-type')).toMatch(/^application\/json/);
    const unknown = await fetch(`${server.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
    const noSession = await request('GET', {
      headers: { ...bearer(valid), 'mcp-session-id': 'unknown' },
    });
    expect(noSession.status).toBe(404);
    expect(noSession.headers.get('content-type')).toMatch(/^application\/json/);
  });
}

/** Session binding (sessions fail closed). */
function registerSessionTests({ token, request, connect }: HttpHelpers): void {
  it("binds a session to its owner: another subject's token gets the SDK's 404, the owner keeps working", async () => {
    const alice = await connect(await token('alice', 'todo:read'));
    const sessionId = alice.transport.sessionId;
    expect(sessionId).toEqual(expect.any(String));
    const mallory = await token('mallory', ALL_SCOPES);
    const headers = {
      ...bearer(mallory),
      'mcp-session-id': sessionId!,
      'mcp-protocol-version': '2025-06-18',
    };
    const stolen = await request('POST', { body: toolCall('whoami'), headers });
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found' },
    });
    expect((await request('GET', { headers })).status).toBe(404);
    expect((await request('DELETE', { headers })).status).toBe(404);
    expect((await alice.call('whoami')).subject).toBe('alice');
    await alice.transport.terminateSession();
    const gone = await request('POST', {
      body: toolCall('whoami'),
      headers: { ...bearer(await token('alice', 'todo:read')), 'mcp-session-id': sessionId! },
    });
    expect(gone.status).toBe(404);
    await alice.client.close();
  });
}

/**
 * Registers the HTTP part of the sample-app contract: the sample is started with
 * `startServer({ port: 0, host: '127.0.0.1', issuer, allowedOrigins: ['https://app.example'] })`
 * against a local test issuer.
 */
export function describeHttpContract(sample: SampleUnderTest): void {
  describe(`${sample.name}: sample server over HTTP`, () => {
    const f = {} as HttpFixture;

    beforeAll(async () => {
      f.issuer = await startTestIssuer({ algorithms: ['RS256', 'ES256'] });
      f.server = await sample.startServer({
        port: 0,
        host: '127.0.0.1',
        issuer: f.issuer.issuer,
        allowedOrigins: ['https://app.example'],
      });
    });

    afterAll(async () => {
      await f.server?.close();
      await f.issuer?.close();
    });

    const helpers = httpHelpers(f);
    registerChallengeTests(f, helpers);
    registerToolTests(f, helpers);
    registerBoundaryTests(f, helpers);
    registerSessionTests(helpers);
  });
}
