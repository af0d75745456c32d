import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { filterListsByScope } from '../src/filter-lists.js';
import type { ScopePolicy } from '../src/scope-policy.js';

// A real MCP SDK server and client over the SDK's in-memory transport, which hands the
// server `extra.authInfo` as the HTTP transports do behind an adapter.

const policy: ScopePolicy = {
  initialScopes: ['todo:read'],
  tools: { list_todos: 'todo:read', add_todo: 'todo:write', sync: { anyOf: ['a', 'b'] } },
  prompts: { summary: 'todo:read', plan: 'calendar:write' },
  resources: { 'TODO://all/../all': 'todo:read', 'calendar://all': 'calendar:read' },
  implies: { 'todo:write': ['todo:read'] },
};

function buildServer() {
  const server = new McpServer({ name: 'filter-test', version: '1.0.0' });
  const text = { content: [{ type: 'text' as const, text: 'ok' }] };
  for (const name of ['list_todos', 'add_todo', 'sync', 'whoami']) {
    server.registerTool(name, { description: name }, async () => text);
  }
  for (const name of ['summary', 'plan']) {
    server.registerPrompt(name, { description: name }, async () => ({
      messages: [{ role: 'user', content: { type: 'text', text: name } }],
    }));
  }
  for (const uri of ['todo://all', 'calendar://all', 'public://about']) {
    server.registerResource(uri, uri, {}, async () => ({ contents: [{ uri, text: uri }] }));
  }
  return server;
}

async function connect(scopes: string[] | undefined, p: ScopePolicy = policy, filter = true) {
  const server = buildServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  if (filter) filterListsByScope(serverSide, p);
  const send = clientSide.send.bind(clientSide);
  clientSide.send = (message, options) =>
    send(message, {
      ...options,
      ...(scopes === undefined
        ? {}
        : { authInfo: { token: 't', clientId: 'c', scopes, extra: { sub: 'alice' } } }),
    });
  const client = new Client({ name: 'filter-client', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

async function lists(client: Client) {
  return {
    tools: (await client.listTools()).tools.map((t) => t.name).sort(),
    prompts: (await client.listPrompts()).prompts.map((p) => p.name).sort(),
    resources: (await client.listResources()).resources.map((r) => r.uri).sort(),
  };
}

describe('filterListsByScope', () => {
  it('lists only what a todo:read token may use, and what the policy does not name', async () => {
    expect(await lists(await connect(['todo:read']))).toEqual({
      tools: ['list_todos', 'whoami'],
      prompts: ['summary'],
      resources: ['public://about', 'todo://all'],
    });
  });

  it('follows implication and anyOf', async () => {
    const client = await connect(['todo:write', 'b', 'calendar:read']);
    expect(await lists(client)).toEqual({
      tools: ['add_todo', 'list_todos', 'sync', 'whoami'],
      prompts: ['summary'],
      resources: ['calendar://all', 'public://about', 'todo://all'],
    });
  });

  it('treats a request without authInfo as holding no scope', async () => {
    expect((await lists(await connect(undefined))).tools).toEqual(['whoami']);
  });

  it('hides unnamed tools under denyUnnamedTools', async () => {
    const strict = { ...policy, denyUnnamedTools: true };
    expect((await lists(await connect(['todo:read'], strict))).tools).toEqual(['list_todos']);
  });

  it('changes nothing but lists: a call still reaches the server (the adapter answers 403 first)', async () => {
    const client = await connect(['todo:read']);
    const result = await client.callTool({ name: 'add_todo', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'ok' }]);
  });

  it('without it every item is listed', async () => {
    expect((await lists(await connect(['todo:read'], policy, false))).tools).toEqual([
      'add_todo',
      'list_todos',
      'sync',
      'whoami',
    ]);
  });

  it('only an answer settles a list: a server request reusing the id does not unfilter it', async () => {
    const [, serverSide] = InMemoryTransport.createLinkedPair();
    const sent: unknown[] = [];
    serverSide.onmessage = () => undefined;
    serverSide.send = async (message) => void sent.push(message);
    filterListsByScope(serverSide, policy);
    const authInfo = { token: 't', clientId: 'c', scopes: ['todo:read'] };
    serverSide.onmessage?.({ jsonrpc: '2.0', id: 0, method: 'tools/list' }, { authInfo });
    // The server's own request (e.g. elicitation) with the same id passes untouched...
    const request = { jsonrpc: '2.0' as const, id: 0, method: 'elicitation/create', params: {} };
    await serverSide.send(request);
    // ...and the list's answer is still filtered.
    const tools = ['list_todos', 'add_todo'].map((name) => ({ name, inputSchema: {} }));
    await serverSide.send({ jsonrpc: '2.0', id: 0, result: { tools } } as never);
    expect(sent[0]).toBe(request);
    expect(sent[1]).toEqual({ jsonrpc: '2.0', id: 0, result: { tools: [tools[0]] } });
  });

  it('forgets a cancelled list request', async () => {
    const [, serverSide] = InMemoryTransport.createLinkedPair();
    const sent: unknown[] = [];
    serverSide.onmessage = () => undefined;
    serverSide.send = async (message) => void sent.push(message);
    filterListsByScope(serverSide, policy);
    serverSide.onmessage?.({ jsonrpc: '2.0', id: 7, method: 'tools/list' }, {});
    serverSide.onmessage?.({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 7 },
    });
    const answer = { jsonrpc: '2.0', id: 7, result: { tools: [{ name: 'add_todo' }] } };
    await serverSide.send(answer as never);
    expect(sent[0]).toBe(answer); // nothing pending for id 7 any more: passed as it is
  });

  it('refuses a transport that is not connected yet, saying when to call it', () => {
    const [, serverSide] = InMemoryTransport.createLinkedPair();
    expect(() => filterListsByScope(serverSide, policy)).toThrow(/after server\.connect/);
  });
});
