import { randomUUID } from 'node:crypto';
import { callToolWithOAuth, type SampleName, toolText } from '@org/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_SCOPES,
  decode,
  eventually,
  initializeMessage,
  postMcp,
  readJsonRpc,
  SAMPLES,
  type Stack,
  scopesOf,
  startStack,
  tokenFor,
  toolCallMessage,
  userClient,
} from './helpers.js';

// One authorization server and each sample started once for the whole file; every sample is
// held to the same HTTP contract: endpoints, tools and scopes, errors, sessions.

let stack: Stack;
/** alice's token (all scopes) for each sample, minted with the first signing key. */
const firstKeyTokens = {} as Record<SampleName, string>;

beforeAll(async () => {
  stack = await startStack(SAMPLES);
  // Each sample verifies a token now, so it has loaded the first key set before any rotation.
  for (const name of SAMPLES) {
    const sample = stack.samples[name];
    firstKeyTokens[name] = await tokenFor(sample.resource);
    const response = await postMcp(sample.resource, initializeMessage(), {
      token: firstKeyTokens[name],
    });
    await response.body?.cancel();
    if (response.status !== 200)
      throw new Error(`${name} refused a valid token: ${response.status}`);
  }
});

afterAll(async () => {
  await stack?.stop();
});

const otherSample = (name: SampleName): SampleName =>
  SAMPLES[(SAMPLES.indexOf(name) + 1) % SAMPLES.length] as SampleName;

describe.each(SAMPLES)('sample-%s', (name) => {
  const sample = () => stack.samples[name];

  it('serves the Protected Resource Metadata at both locations, as the contract says', async () => {
    const { origin, resource } = sample();
    const locations = [
      `${origin}/.well-known/oauth-protected-resource/mcp`,
      `${origin}/.well-known/oauth-protected-resource`,
    ];
    const documents = [];
    for (const location of locations) {
      const response = await fetch(location);
      expect(response.status, location).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const prm = (await response.json()) as Record<string, unknown>;
      expect(prm.resource).toBe(resource);
      expect(prm.authorization_servers).toEqual([stack.as.issuer]);
      expect([...(prm.scopes_supported as string[])].sort()).toEqual([...ALL_SCOPES].sort());
      expect(prm.bearer_methods_supported).toEqual(['header']);
      documents.push(prm);
    }
    expect(documents[1]).toEqual(documents[0]);
  });

  it('runs the whole flow from the 401 to a tool result through the local authorization server', async () => {
    const { origin, resource } = sample();
    const client = userClient({ username: 'alice' });
    const session = await client.connect(resource);
    try {
      const [first] = client.exchanges;
      expect(first?.url.href).toBe(resource);
      expect(first?.response.status).toBe(401);
      const challenge = first?.response.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain(
        `resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
      );
      expect(challenge).not.toContain('error=');
      // Least privilege: the 401 to initialize names the sample's initialScopes only.
      expect(challenge).toContain('scope="todo:read"');

      const seen = client.exchanges.map(
        (e) => `${e.method} ${e.url.pathname} ${e.response.status}`,
      );
      expect(seen).toContain('GET /.well-known/oauth-protected-resource/mcp 200');
      expect(seen).toContain('GET /.well-known/oauth-authorization-server 200');
      expect(seen).toContain('POST /reg 201');
      expect(seen).toContain('POST /token 200');

      const [authorizationUrl] = client.authorizationUrls;
      expect(authorizationUrl?.searchParams.get('resource')).toBe(resource);
      expect(authorizationUrl?.searchParams.get('code_challenge_method')).toBe('S256');
      // So the first consent asks for todo:read alone; other scopes come with a step-up.
      expect(client.consents[0]?.consentScopes).toEqual(['todo:read']);

      const { header, claims } = decode(client.accessToken());
      expect(header.typ).toBe('at+jwt');
      expect(claims.aud).toBe(resource);
      expect(claims.iss).toBe(stack.as.issuer);
      expect(claims.sub).toBe('alice');

      const tools = await session.client.listTools();
      expect(tools.tools.map((t) => t.name).sort()).toEqual(
        ['add_todo', 'create_event', 'list_events', 'list_todos', 'whoami'].sort(),
      );
      const whoami = await callToolWithOAuth(session, 'whoami');
      expect(whoami.isError).toBeFalsy();
      const text = toolText(whoami);
      expect(text).toContain('alice');
      expect(text).toContain('todo:read');
      expect(text).not.toContain('todo:write');
      const todos = await callToolWithOAuth(session, 'list_todos');
      expect(todos.isError).toBeFalsy();
    } finally {
      await session.client.close();
    }
  });

  it('steps up from todo:read to todo:write, ending with both tools working', async () => {
    const client = userClient({ username: 'alice', grantScopes: ['todo:read'] });
    const session = await client.connect(sample().resource);
    try {
      expect(scopesOf(client.accessToken())).toEqual(['todo:read']);
      expect((await callToolWithOAuth(session, 'list_todos')).isError).toBeFalsy();

      const title = `step-up ${randomUUID()}`;
      const added = await callToolWithOAuth(session, 'add_todo', { title });
      expect(added.isError).toBeFalsy();

      const forbidden = client.exchanges.filter((e) => e.response.status === 403);
      expect(forbidden).toHaveLength(1);
      const challenge = forbidden[0]?.response.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toMatch(/scope="[^"]*todo:write/);
      // The second consent page lists only what was not granted yet.
      expect(client.consents).toHaveLength(2);
      expect(client.consents[1]?.consentScopes).toEqual(['todo:write']);
      expect(scopesOf(client.accessToken())).toEqual(['todo:read', 'todo:write']);

      const listed = await callToolWithOAuth(session, 'list_todos');
      expect(listed.isError).toBeFalsy();
      expect(toolText(listed)).toContain(title);
      expect(client.exchanges.filter((e) => e.response.status === 403)).toHaveLength(1);
    } finally {
      await session.client.close();
    }
  });

  // Needs a second sample to issue the foreign token for (always true unless E2E_SAMPLES narrows).
  it.skipIf(SAMPLES.length < 2)(
    'refuses a token issued for another resource with 401 invalid_token',
    async () => {
      const other = otherSample(name);
      const foreign = firstKeyTokens[other];
      expect(decode(foreign).claims.aud).toBe(stack.samples[other].resource);

      const refused = await postMcp(sample().resource, initializeMessage(), { token: foreign });
      expect(refused.status).toBe(401);
      const challenge = refused.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain('error="invalid_token"');
      expect(challenge).toContain('resource_metadata="');
      const body = await refused.json();
      expect(body).toMatchObject({ error: 'invalid_token' });
      expect(JSON.stringify(body)).not.toContain(foreign);

      // The same token is fine where it belongs.
      const accepted = await postMcp(stack.samples[other].resource, initializeMessage(), {
        token: foreign,
      });
      await accepted.body?.cancel();
      expect(accepted.status).toBe(200);
    },
  );

  it('answers a malformed body and a foreign Origin with JSON errors', async () => {
    const { resource } = sample();
    const token = firstKeyTokens[name];
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const malformed = await fetch(resource, { method: 'POST', headers, body: '{"jsonrpc":' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await malformed.json()) as { error?: { code?: number } };
    expect(body.error?.code).toBe(-32700);

    const foreign = await fetch(resource, {
      method: 'POST',
      headers: { ...headers, origin: 'https://attacker.example' },
      body: JSON.stringify(initializeMessage()),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('content-type')).toMatch(/json/);
    const text = await foreign.text();
    expect(text).not.toMatch(/<html|at .*\.ts:\d+/i);
  });

  it("keeps each user's data apart (alice and bob)", async () => {
    const { resource } = sample();
    const alice = await userClient({ username: 'alice' }).connect(resource);
    const bob = await userClient({ username: 'bob' }).connect(resource);
    try {
      const aliceTodo = `alice only ${randomUUID()}`;
      const bobTodo = `bob only ${randomUUID()}`;
      const aliceEvent = `alice meeting ${randomUUID()}`;
      expect(
        (await callToolWithOAuth(alice, 'add_todo', { title: aliceTodo })).isError,
      ).toBeFalsy();
      const event = await callToolWithOAuth(alice, 'create_event', {
        title: aliceEvent,
        start: '2026-12-01T09:00:00Z',
      });
      expect(event.isError, toolText(event)).toBeFalsy();
      expect((await callToolWithOAuth(bob, 'add_todo', { title: bobTodo })).isError).toBeFalsy();

      const bobTodos = toolText(await callToolWithOAuth(bob, 'list_todos'));
      expect(bobTodos).toContain(bobTodo);
      expect(bobTodos).not.toContain(aliceTodo);
      expect(toolText(await callToolWithOAuth(bob, 'list_events'))).not.toContain(aliceEvent);

      const aliceTodos = toolText(await callToolWithOAuth(alice, 'list_todos'));
      expect(aliceTodos).toContain(aliceTodo);
      expect(aliceTodos).not.toContain(bobTodo);
      expect(toolText(await callToolWithOAuth(alice, 'list_events'))).toContain(aliceEvent);
    } finally {
      await alice.client.close();
      await bob.client.close();
    }
  });

  it("binds a session to its subject: bob's token on alice's session is refused, alice carries on", async () => {
    const { resource } = sample();
    const alice = await userClient({ username: 'alice' }).connect(resource);
    try {
      const sessionId = alice.transport.sessionId;
      expect(sessionId).toBeTruthy();
      const bobToken = await tokenFor(resource, { username: 'bob' });

      const hijack = await postMcp(resource, toolCallMessage('list_todos'), {
        token: bobToken,
        sessionId,
      });
      expect([403, 404]).toContain(hijack.status);
      expect(hijack.headers.get('content-type') ?? '').toMatch(/json/);
      await hijack.body?.cancel();

      // GET (SSE) and DELETE on that session with bob's token: refused too, session kept.
      for (const method of ['GET', 'DELETE']) {
        const response = await fetch(resource, {
          method,
          headers: {
            authorization: `Bearer ${bobToken}`,
            'mcp-session-id': sessionId ?? '',
            'mcp-protocol-version': '2025-06-18',
            accept: 'text/event-stream',
          },
        });
        expect([403, 404], method).toContain(response.status);
        await response.body?.cancel();
      }

      // No token at all on that session: 401, never the session's data.
      const anonymous = await postMcp(resource, toolCallMessage('list_todos'), { sessionId });
      expect(anonymous.status).toBe(401);
      await anonymous.body?.cancel();

      const still = await callToolWithOAuth(alice, 'whoami');
      expect(still.isError).toBeFalsy();
      expect(toolText(still)).toContain('alice');
      expect(alice.transport.sessionId).toBe(sessionId);
    } finally {
      await alice.client.close();
    }
  });
});

describe('signing-key rotation at the authorization server', () => {
  let rotated: { newKid: string; retiredKid: string };

  beforeAll(async () => {
    rotated = await stack.as.rotateKeys();
  });

  it.each(SAMPLES)(
    'sample-%s accepts tokens signed by the new key without a restart',
    async (name) => {
      const { resource } = stack.samples[name];
      const token = await tokenFor(resource);
      expect(decode(token).header.kid).toBe(rotated.newKid);
      expect(decode(firstKeyTokens[name]).header.kid).toBe(rotated.retiredKid);

      // A verifier refetches the key set on an unknown kid at most once per JWKS cooldown (the
      // core's default is 30 s, counted from the last fetch at the start of this file; the
      // samples set 1 s), so allow up to the default.
      const accepted = await eventually(async () => {
        const response = await postMcp(resource, initializeMessage(), { token });
        await response.body?.cancel();
        return response.status === 200;
      }, 35_000);
      expect(accepted.ok).toBe(true);

      // Tokens signed by the retired key keep working through the grace period.
      const old = await postMcp(resource, initializeMessage(), { token: firstKeyTokens[name] });
      await old.body?.cancel();
      expect(old.status).toBe(200);
      const session = await postMcp(resource, initializeMessage(), { token });
      expect(session.status).toBe(200);
      const message = await readJsonRpc(session);
      expect(message).toHaveProperty('result');
    },
    40_000,
  );
});
