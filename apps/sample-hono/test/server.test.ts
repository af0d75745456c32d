import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  createTestIssuer,
  listenTestIssuer,
  type RunningTestIssuer,
  startTestIssuer,
  type TestIssuer,
  type TestIssuerServer,
} from '@org/mcp-auth-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/app.js';
import { readConfig } from '../src/config.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const ALL_SCOPES = 'todo:read todo:write calendar:read calendar:write';
const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  },
});

function toolCall(name: string, args: Record<string, unknown> = {}): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/call',
    params: { name, arguments: args },
  });
}

/** `Bearer a="b", c="d"` → `{ a: 'b', c: 'd' }` (values never contain quotes, RFC 6750). */
function challengeParams(header: string | null): Record<string, string> {
  expect(header).toMatch(/^Bearer /);
  return Object.fromEntries(
    [...(header ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
}

describe('sample server over HTTP', () => {
  let issuer: RunningTestIssuer;
  let server: RunningServer;

  const token = (sub: string, scope: string, alg: 'RS256' | 'ES256' = 'RS256') =>
    issuer.mintAccessToken({ claims: { sub, scope, aud: server.resourceUrl }, key: alg });

  const request = (
    method: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ) =>
    fetch(server.mcpUrl, {
      method,
      headers: {
        accept: 'application/json, text/event-stream',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: init.body }),
    });

  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

  async function connect(accessToken: string) {
    const client = new Client({ name: 'sample-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
      requestInit: { headers: bearer(accessToken) },
    });
    await client.connect(transport);
    const call = async (name: string, args: Record<string, unknown> = {}) => {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError).toBeFalsy();
      return result.structuredContent as Record<string, unknown>;
    };
    return { client, transport, call };
  }

  beforeAll(async () => {
    issuer = await startTestIssuer({ algorithms: ['RS256', 'ES256'] });
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      issuer: issuer.issuer,
      allowedOrigins: ['https://app.example'],
    });
  });

  afterAll(async () => {
    await server?.close();
    await issuer?.close();
  });

  it('answers every method without a token with 401 and a Bearer challenge', async () => {
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

  it('picks up a rotated signing key without a restart', async () => {
    const before = await connect(await token('dave', 'todo:read'));
    await before.call('whoami');
    await issuer.rotateKeys({ keepOld: false });
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the sample's JWKS cooldown
    const after = await connect(await token('dave', 'todo:read'));
    expect((await after.call('whoami')).subject).toBe('dave');
    await before.client.close();
    await after.client.close();
  });

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
});

describe('with MCP_AUTH_PROVIDER=scalekit, against a local mock of the environment', () => {
  const RESOURCE_ID = 'res_sample123';
  let scalekit: TestIssuer;
  let environment: TestIssuerServer;
  let server: RunningServer;
  let resourceIssuer: string;

  beforeAll(async () => {
    // Scalekit publishes an environment's signing keys at `<environment URL>/keys` and serves
    // no metadata the sample needs: the mock answers that one path with the test keys.
    let keys: TestIssuer | undefined;
    environment = await listenTestIssuer(async (request) =>
      keys !== undefined && new URL(request.url).pathname === '/keys'
        ? Response.json(keys.jwks())
        : Response.json({ error: 'not_found' }, { status: 404 }),
    );
    keys = await createTestIssuer({ issuer: environment.url, algorithms: ['RS256'] });
    scalekit = keys;
    resourceIssuer = `${environment.url}/resources/${RESOURCE_ID}`;
    server = await startServer(
      readConfig({
        PORT: '0',
        MCP_AUTH_PROVIDER: 'scalekit',
        SCALEKIT_ENVIRONMENT_URL: environment.url,
        SCALEKIT_RESOURCE_ID: RESOURCE_ID,
      }),
    );
  });

  afterAll(async () => {
    await server?.close();
    await environment?.close();
  });

  /** A token in Scalekit's shape: `iss` the resource issuer or the environment, `scope` space-delimited. */
  const scalekitToken = (claims: Record<string, unknown>, header: { typ?: string } = {}) =>
    scalekit.mintAccessToken({
      claims: { sub: 'usr_alice', client_id: 'skc_host', ...claims },
      header,
    });

  const post = (body: string, accessToken: string) =>
    fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        authorization: `Bearer ${accessToken}`,
      },
      body,
    });

  async function connect(accessToken: string) {
    const client = new Client({ name: 'scalekit-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${accessToken}` } },
      }),
    );
    return client;
  }

  it('lists the Scalekit resource issuer as the authorization server in the PRM', async () => {
    const response = await fetch(server.metadataUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      resource: server.resourceUrl,
      authorization_servers: [resourceIssuer],
      scopes_supported: ['todo:read', 'todo:write', 'calendar:read', 'calendar:write'],
    });
  });

  it('runs tools for Scalekit-shaped tokens with either issuer form and audience form', async () => {
    const full = await scalekitToken({
      iss: resourceIssuer,
      aud: [server.resourceUrl],
      scope: ALL_SCOPES,
    });
    const client = await connect(full);
    const added = await client.callTool({ name: 'add_todo', arguments: { title: 'Ship it' } });
    expect(added.isError).toBeFalsy();
    const listed = await client.callTool({ name: 'list_todos', arguments: {} });
    expect(listed.structuredContent).toMatchObject({ todos: [{ title: 'Ship it' }] });
    const whoami = await client.callTool({ name: 'whoami', arguments: {} });
    expect(whoami.structuredContent).toMatchObject({
      subject: 'usr_alice',
      scopes: ALL_SCOPES.split(' '),
      clientId: 'skc_host',
    });
    await client.close();

    // The environment as issuer, the resource id as audience, header typ JWT, read-only scope.
    const readOnly = await scalekitToken(
      { iss: environment.url, aud: [RESOURCE_ID], scope: 'todo:read' },
      { typ: 'JWT' },
    );
    const add = await post(toolCall('add_todo', { title: 'x' }), readOnly);
    expect(add.status).toBe(403);
    expect(challengeParams(add.headers.get('www-authenticate')).error).toBe('insufficient_scope');
    const reader = await connect(readOnly);
    const read = await reader.callTool({ name: 'list_todos', arguments: {} });
    expect(read.structuredContent).toMatchObject({ todos: [{ title: 'Ship it' }] });
    await reader.close();
  });

  it('refuses tokens of another Scalekit resource or audience with 401 invalid_token', async () => {
    for (const claims of [
      { iss: `${environment.url}/resources/res_other`, aud: [server.resourceUrl] },
      { iss: resourceIssuer, aud: ['res_other'] },
    ]) {
      const response = await post(
        INITIALIZE,
        await scalekitToken({ ...claims, scope: ALL_SCOPES }),
      );
      expect(response.status).toBe(401);
      expect(challengeParams(response.headers.get('www-authenticate')).error).toBe('invalid_token');
    }
  });
});

describe('configuration', () => {
  it('reads the environment with defaults', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      issuer: 'http://127.0.0.1:9400',
      allowedOrigins: [],
    });
    expect(config.resourceUrl).toBeUndefined();
    expect(config.provider).toBeUndefined();
    expect(config.authorizationServers).toBeUndefined();
    expect(
      readConfig({
        PORT: '0',
        MCP_RESOURCE_URL: 'https://MCP.example.com/mcp',
        MCP_ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443/',
      }),
    ).toMatchObject({
      port: 0,
      resourceUrl: 'https://MCP.example.com/mcp',
      allowedOrigins: ['https://a.example', 'https://b.example:8443'],
    });
  });

  it('takes the issuer, keys and token rules from MCP_AUTH_PROVIDER; MCP_AUTH_JWKS_URI still overrides', () => {
    const env = {
      MCP_AUTH_PROVIDER: 'scalekit',
      SCALEKIT_ENVIRONMENT_URL: 'https://acme.scalekit.example',
      SCALEKIT_RESOURCE_ID: 'res_42',
      MCP_AUTH_ISSUER: 'https://ignored.example',
      MCP_RESOURCE_URL: 'https://mcp.example.com/mcp',
    };
    const config = readConfig(env);
    expect(config).toMatchObject({
      provider: 'scalekit',
      issuer: 'https://acme.scalekit.example/resources/res_42',
      authorizationServers: ['https://acme.scalekit.example/resources/res_42'],
      resourceUrl: 'https://mcp.example.com/mcp',
      jwt: {
        jwksUri: 'https://acme.scalekit.example/keys',
        additionalIssuers: ['https://acme.scalekit.example'],
        additionalAudiences: ['res_42'],
        scopeClaims: ['scope', { claim: 'scopes', format: 'array' }],
      },
    });
    expect(config.jwksUri).toBeUndefined();
    expect(readConfig({ ...env, MCP_AUTH_JWKS_URI: 'https://keys.example/jwks' }).jwksUri).toBe(
      'https://keys.example/jwks',
    );
    expect(readConfig({ MCP_AUTH_PROVIDER: 'generic' }).issuer).toBe('http://127.0.0.1:9400');
    expect(() =>
      readConfig({
        MCP_AUTH_PROVIDER: 'scalekit',
        SCALEKIT_ENVIRONMENT_URL: 'http://acme.example',
      }),
    ).toThrow(TypeError);
  });

  it.each([
    ['SCALEKIT_ENVIRONMENT_URL', { MCP_AUTH_PROVIDER: 'scalekit' }],
    ['MCP_AUTH_PROVIDER', { MCP_AUTH_PROVIDER: 'scalekitt' }],
    ['AUTH0_DOMAIN', { MCP_AUTH_PROVIDER: 'auth0' }],
    [
      'ENTRA_AUDIENCE',
      { MCP_AUTH_PROVIDER: 'entra-id', ENTRA_TENANT_ID: '00000000-0000-0000-0000-000000000000' },
    ],
    ['KEYCLOAK_REALM', { MCP_AUTH_PROVIDER: 'keycloak', KEYCLOAK_BASE_URL: 'https://sso.example' }],
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['MCP_AUTH_ISSUER', { MCP_AUTH_ISSUER: 'not a url' }],
    ['MCP_AUTH_ISSUER', { MCP_AUTH_ISSUER: 'http://auth.example.com' }],
    ['MCP_AUTH_JWKS_URI', { MCP_AUTH_JWKS_URI: 'ftp://127.0.0.1/jwks' }],
    ['MCP_RESOURCE_URL', { MCP_RESOURCE_URL: 'http://127.0.0.1:3000/mcp?x=1' }],
    ['MCP_ALLOWED_ORIGINS', { MCP_ALLOWED_ORIGINS: 'app.example' }],
  ])('names %s when it is invalid', (name, env) => {
    expect(() => readConfig(env)).toThrow(TypeError);
    expect(() => readConfig(env)).toThrow(name);
  });

  it('exits 1 with one clear line on misconfiguration, and 0 on SIGTERM', async () => {
    const run = (
      env: Record<string, string>,
      onOutput?: (text: string, stop: () => void) => void,
    ) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(`${APP_DIR}node_modules/.bin/tsx`, ['src/main.ts'], {
          cwd: APP_DIR,
          env: { ...process.env, ...env },
        });
        let output = '';
        const collect = (chunk: Buffer) => {
          output += chunk.toString();
          onOutput?.(output, () => child.kill('SIGTERM'));
        };
        child.stdout.on('data', collect);
        child.stderr.on('data', collect);
        child.on('exit', (code) => resolve({ code, output }));
      });

    const bad = await run({ MCP_AUTH_PROVIDER: '', MCP_AUTH_ISSUER: 'http://auth.example.com' });
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('MCP_AUTH_ISSUER');
    expect(bad.output).not.toMatch(/\n\s+at /);
    const badProvider = await run({ MCP_AUTH_PROVIDER: 'scalekit', SCALEKIT_ENVIRONMENT_URL: '' });
    expect(badProvider.code).toBe(1);
    expect(badProvider.output).toContain('SCALEKIT_ENVIRONMENT_URL');
    expect(badProvider.output.trim().split('\n')).toHaveLength(1);

    let stopped = false;
    const good = await run(
      { PORT: '0', MCP_AUTH_PROVIDER: '', MCP_AUTH_ISSUER: 'http://127.0.0.1:9' },
      (text, stop) => {
        if (!stopped && text.includes('oauth-protected-resource')) {
          stopped = true;
          stop();
        }
      },
    );
    expect(good.output).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(good.code).toBe(0);
  });
});
