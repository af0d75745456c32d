/**
 * The shared-store contract every adapter runs: session bindings in a `StateStore` that answers
 * asynchronously (as Redis does), with a real MCP SDK server and client. The new session id
 * reaches the client only once its binding is stored; a store that fails turns the response
 * into 503 + `Retry-After` and ends the application's session; two instances sharing the store
 * refuse each other's sessions to another subject.
 */
import {
  createMcpAuth,
  createMemoryStore,
  type McpAuth,
  type StateStore,
} from '@org/mcp-auth-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, createE2eFixture, rawToolCall, whoami } from './mcp.js';

/** A transport the application keeps per session (the SDK's, of either flavour). */
export interface SessionTransport {
  close(): Promise<void>;
}

/** What a test app gets: the core and the map of its live transports by session id. */
export interface SharedStoreApp {
  core: McpAuth;
  transports: Map<string, SessionTransport>;
}

/** Starts one instance (a stateful MCP endpoint at `/mcp`) and says where it listens. */
export type ListenSharedStoreApp = (
  app: SharedStoreApp,
) => Promise<{ url: string; close(): Promise<void> }>;

/**
 * A store answering a few milliseconds later, as a network store does, that can be taken down.
 *
 * @example
 * ```ts
 * const { store, inner, control } = createSlowStore(20);
 * control.down = true; // every call now rejects
 * ```
 */
export function createSlowStore(delayMs = 20): {
  store: StateStore;
  inner: StateStore;
  control: { down: boolean };
} {
  const inner = createMemoryStore();
  const control = { down: false };
  const later = async <T>(f: () => T | Promise<T>): Promise<T> => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (control.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    return f();
  };
  const store: StateStore = {
    setIfAbsent: (key, ttlMs, value) => later(() => inner.setIfAbsent(key, ttlMs, value)),
    get: (key) => later(() => inner.get(key)),
    touch: (key, ttlMs) => later(() => inner.touch(key, ttlMs)),
    delete: (key) => later(() => inner.delete(key)),
  };
  return { store, inner, control };
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1.0.0' },
  },
};

function rawInitialize(url: string, token: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify(INITIALIZE),
  });
}

/**
 * Runs the shared-store contract against one adapter: `listen` starts an instance around the
 * core it is given (stateful SDK transports kept in `transports`, as the samples do).
 */
export function describeSharedStoreContract(name: string, listen: ListenSharedStoreApp): void {
  describe(`${name}: session bindings in a shared store`, () => {
    let fixture: Awaited<ReturnType<typeof createE2eFixture>>;
    const slow = createSlowStore(30);
    const ended: string[] = [];
    const instances: Array<{ url: string; close(): Promise<void>; app: SharedStoreApp }> = [];

    beforeAll(async () => {
      fixture = await createE2eFixture();
      for (let i = 0; i < 2; i++) {
        const transports = new Map<string, SessionTransport>();
        const core = createMcpAuth({
          ...fixture.options,
          store: slow.store,
          sessionBinding: {
            onSessionEnd: (id) => {
              ended.push(id);
              const transport = transports.get(id);
              transports.delete(id);
              void transport?.close();
            },
          },
        });
        const app = { core, transports };
        instances.push({ ...(await listen(app)), app });
      }
    });
    afterAll(async () => {
      for (const { app, close } of instances) {
        await Promise.all([...app.transports.values()].map((t) => t.close()));
        await close();
      }
    });
    const a = () => instances[0] as (typeof instances)[number];
    const b = () => instances[1] as (typeof instances)[number];

    it('the session id reaches the client only after its binding is stored', async () => {
      const response = await rawInitialize(`${a().url}/mcp`, fixture.alice);
      // Checked the moment the head arrives: the store answers 30 ms after being asked.
      const id = response.headers.get('mcp-session-id');
      expect(response.status).toBe(200);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await slow.inner.get(`session:${id}`)).toBe(
        JSON.stringify([fixture.issuer.issuer, 'sub', 'alice', 'test-client']),
      );
      await response.body?.cancel();
    });

    it('the SDK client works through the held head; another instance refuses another subject', async () => {
      const { client, transport } = await connectClient(`${a().url}/mcp`, fixture.alice);
      expect((await whoami(client)).sub).toBe('alice');
      const sessionId = transport.sessionId as string;
      const stolen = await rawToolCall(`${b().url}/mcp`, fixture.bob, sessionId);
      expect(stolen.status).toBe(404);
      expect(await stolen.json()).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32001, message: 'Session not found' },
      });
      expect((await rawToolCall(`${a().url}/mcp`, fixture.bob, sessionId)).status).toBe(404);
      expect((await whoami(client)).sub).toBe('alice');
      await client.close();
    });

    it('store down while binding: 503 + Retry-After, no session id, the session ended', async () => {
      ended.length = 0;
      slow.control.down = true;
      try {
        const response = await rawInitialize(`${a().url}/mcp`, fixture.alice);
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(response.headers.get('mcp-session-id')).toBeNull();
        expect(await response.json()).toEqual({
          error: 'store_unavailable',
          error_description: 'Session state store unavailable; retry later',
        });
        expect(ended).toHaveLength(1);
        expect(a().app.transports.has(ended[0] as string)).toBe(false);
      } finally {
        slow.control.down = false;
      }
    });

    it('store down on a session request: 503 + Retry-After, never allowed', async () => {
      const response = await rawInitialize(`${a().url}/mcp`, fixture.alice);
      const id = response.headers.get('mcp-session-id') as string;
      await response.body?.cancel();
      slow.control.down = true;
      try {
        const refused = await rawToolCall(`${a().url}/mcp`, fixture.alice, id);
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(await refused.json()).toMatchObject({ error: 'store_unavailable' });
      } finally {
        slow.control.down = false;
      }
      expect((await rawToolCall(`${a().url}/mcp`, fixture.alice, id)).status).toBe(200);
    });
  });
}
