import { describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../src/audit.js';
import { createMcpAuth, type McpAuth, type McpAuthOptions } from '../src/create-mcp-auth.js';
import { McpAuthConfigError } from '../src/errors.js';
import { createMemoryStore, type StateStore } from '../src/state-store.js';
import type { AccessTokenVerifier, AuthInfo, AuthorizeResult } from '../src/types.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const AS = 'https://auth.example.com';
const tokens: Record<string, AuthInfo> = {
  alice: { token: 'alice', clientId: 'app', scopes: [], extra: { iss: AS, sub: 'alice' } },
  bob: { token: 'bob', clientId: 'app', scopes: [], extra: { iss: AS, sub: 'bob' } },
};
const verifier: AccessTokenVerifier = {
  verifyAccessToken: async (token) => ({ ...(tokens[token] as AuthInfo) }),
};
const initialize = { jsonrpc: '2.0', id: 0, method: 'initialize', params: {} };
const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' };

function make(store: StateStore, overrides: Partial<McpAuthOptions> = {}): McpAuth {
  return createMcpAuth({
    resource: RESOURCE,
    authorizationServers: [AS],
    verifier,
    store,
    ...overrides,
  });
}
const req = (token: string, body: unknown, sessionId?: string, method = 'POST') => ({
  method,
  url: '/mcp',
  headers: {
    authorization: `Bearer ${token}`,
    ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }),
  },
  body,
});
function allowed(result: AuthorizeResult) {
  if (result.type !== 'allow') throw new Error(`expected allow, got ${result.status}`);
  return result;
}
function denied(result: AuthorizeResult) {
  if (result.type !== 'deny') throw new Error('expected deny, got allow');
  return result;
}
/** An initialize by `token` on `auth` whose response created session `id`; the settle answer. */
async function open(auth: McpAuth, token: string, id: string) {
  const result = allowed(await auth.authorize(req(token, initialize)));
  return auth.onResponse(result, { status: 200, sessionId: id });
}

/** A store that answers later (as a network store does), and can be made to fail. */
function asyncStore(inner = createMemoryStore()) {
  const state = { down: false, calls: [] as string[] };
  const wrap =
    <A extends unknown[], R>(name: string, f: (...a: A) => R) =>
    async (...a: A): Promise<Awaited<R>> => {
      state.calls.push(name);
      await new Promise((r) => setTimeout(r, 1));
      if (state.down) throw new Error('ECONNREFUSED 127.0.0.1:6379');
      return (await f(...a)) as Awaited<R>;
    };
  const store: StateStore = {
    setIfAbsent: wrap('setIfAbsent', inner.setIfAbsent),
    get: wrap('get', inner.get),
    touch: wrap('touch', inner.touch),
    delete: wrap('delete', inner.delete),
  };
  return { store, state, inner };
}

describe('createMcpAuth({ store }): session bindings shared by several instances', () => {
  it('a session bound on one instance is checked on another', async () => {
    const { store } = asyncStore();
    const a = make(store);
    const b = make(store);
    expect(a.sharedSessions).toBe(true);
    const settled = await open(a, 'alice', 's-1');
    expect(settled).toBeUndefined();
    expect(allowed(await b.authorize(req('alice', list, 's-1'))).authInfo?.extra?.sub).toBe(
      'alice',
    );
    const foreign = denied(await b.authorize(req('bob', list, 's-1')));
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found' },
    });
    expect(denied(await b.authorize(req('alice', list, 'never-bound'))).status).toBe(404);
  });

  it('onResponse answers a Promise that resolves once the binding is stored', async () => {
    const { store, inner } = asyncStore();
    const a = make(store);
    const result = allowed(await a.authorize(req('alice', initialize)));
    const answer = a.onResponse(result, { status: 200, sessionId: 's-2' });
    expect(answer).toBeInstanceOf(Promise);
    expect(inner.get('session:s-2')).toBeUndefined(); // not yet: the head must wait
    expect(await answer).toBeUndefined();
    expect(inner.get('session:s-2')).toBe(JSON.stringify([AS, 'sub', 'alice', 'app']));
  });

  it('with the synchronous memory store everything stays synchronous', async () => {
    const store = createMemoryStore();
    const a = make(store);
    const b = make(store);
    expect(await open(a, 'alice', 's-1')).toBeUndefined();
    const answer = b.onResponse(allowed(await b.authorize(req('alice', initialize))), {
      status: 200,
      sessionId: 's-2',
    });
    expect(answer).toBeUndefined();
    expect(store.get('session:s-2')).toBeDefined();
    expect(denied(await a.authorize(req('bob', list, 's-2'))).status).toBe(404);
  });

  it('a store failure when binding: 503 + Retry-After instead of the response, session ended', async () => {
    const { store, state } = asyncStore();
    const ended: string[] = [];
    const warnings: string[] = [];
    const a = make(store, {
      sessionBinding: { onSessionEnd: (id) => ended.push(id) },
      logger: { warn: (m) => warnings.push(m) },
      cors: { allowedOrigins: ['https://app.example'] },
    });
    const result = allowed(
      await a.authorize({
        ...req('alice', initialize),
        headers: { ...req('alice', initialize).headers, origin: 'https://app.example' },
      }),
    );
    state.down = true;
    const answer = await a.onResponse(result, { status: 200, sessionId: 's-3' });
    expect(answer?.status).toBe(503);
    expect(answer?.headers['Retry-After']).toMatch(/^\d+$/);
    expect(answer?.headers['Access-Control-Allow-Origin']).toBe('https://app.example');
    expect(answer?.body).toEqual({
      error: 'store_unavailable',
      error_description: 'Session state store unavailable; retry later',
    });
    expect(ended).toEqual(['s-3']);
    expect(warnings.join('\n')).toContain('ECONNREFUSED');
    state.down = false;
    // Nothing was bound: the id is unknown everywhere, even to its would-be owner.
    expect(denied(await a.authorize(req('alice', list, 's-3'))).status).toBe(404);
  });

  it('fails closed when the store cannot answer an ownership check: 503, never allow', async () => {
    const { store, state } = asyncStore();
    const events: DecisionEvent[] = [];
    const a = make(store, { onDecision: (e) => events.push(e) });
    await open(a, 'alice', 's-1');
    state.down = true;
    const result = denied(await a.authorize(req('alice', list, 's-1')));
    expect(result.status).toBe(503);
    expect(result.headers['Retry-After']).toMatch(/^\d+$/);
    expect(result.body).toMatchObject({ error: 'store_unavailable' });
    expect(JSON.stringify(result.body)).not.toContain('ECONNREFUSED');
    expect(events.at(-1)).toMatchObject({ outcome: 'deny', reason: 'store_unavailable' });
    // A store that throws synchronously is refused the same way.
    const thrower = make({
      ...createMemoryStore(),
      get() {
        throw new Error('boom');
      },
    });
    expect(denied(await thrower.authorize(req('alice', list, 's-1'))).status).toBe(503);
  });

  it('an id already bound to someone else in the store is never taken over', async () => {
    const { store, inner } = asyncStore();
    inner.setIfAbsent('session:taken', 60_000, JSON.stringify([AS, 'sub', 'bob', 'app']));
    const ended: string[] = [];
    const a = make(store, { sessionBinding: { onSessionEnd: (id) => ended.push(id) } });
    const answer = await open(a, 'alice', 'taken');
    expect(answer?.status).toBe(503);
    expect(ended).toEqual(['taken']);
    expect(denied(await a.authorize(req('alice', list, 'taken'))).status).toBe(404);
  });

  it('a DELETE answered 2xx ends the binding on every instance; the owner use slides it', async () => {
    let t = 0;
    const inner = createMemoryStore({ now: () => t });
    const { store } = asyncStore(inner);
    const a = make(store, { sessionBinding: { ttlMs: 1000 } });
    const b = make(store, { sessionBinding: { ttlMs: 1000 } });
    await open(a, 'alice', 's-1');
    t = 900;
    allowed(await b.authorize(req('alice', list, 's-1'))); // slides to 1900
    await new Promise((r) => setTimeout(r, 10)); // the touch is not awaited by the request
    t = 1500;
    allowed(await a.authorize(req('alice', list, 's-1')));
    await new Promise((r) => setTimeout(r, 10));
    const del = allowed(await b.authorize(req('alice', undefined, 's-1', 'DELETE')));
    expect(b.onResponse(del, { status: 200 })).toBeUndefined();
    await new Promise((r) => setTimeout(r, 10));
    expect(denied(await a.authorize(req('alice', list, 's-1'))).status).toBe(404);
  });

  it('store must be a StateStore (TypeError naming the option)', () => {
    expect(() => make({ get() {} } as unknown as StateStore)).toThrow(McpAuthConfigError);
    expect(() => make({ get() {} } as unknown as StateStore)).toThrow(
      /"store" must be a StateStore/,
    );
  });

  it('without session binding the store holds no sessions', async () => {
    const store = createMemoryStore();
    const a = make(store, { sessionBinding: false });
    expect(a.sharedSessions).toBe(false);
    expect(
      a.onResponse(allowed(await a.authorize(req('alice', initialize))), {
        status: 200,
        sessionId: 'x',
      }),
    ).toBeUndefined();
    expect(store.get('session:x')).toBeUndefined();
  });
});
